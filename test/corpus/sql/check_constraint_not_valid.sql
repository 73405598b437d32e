-- label: safe
-- version: 150000
-- rules:
-- why: NOT VALID skips the scan: an instant ACCESS EXCLUSIVE; existing rows are validated later under SHARE UPDATE EXCLUSIVE.
ALTER TABLE shop_product ADD CONSTRAINT shop_product_width_positive CHECK (width_mm > 0) NOT VALID;
