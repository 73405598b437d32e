-- label: unsafe
-- version: 150000
-- rules: check-constraint-validating
-- why: ADD CONSTRAINT CHECK without NOT VALID scans every row of shop_product under ACCESS EXCLUSIVE.
ALTER TABLE shop_product ADD CONSTRAINT shop_product_width_positive CHECK (width_mm > 0);
