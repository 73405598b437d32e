-- label: unsafe
-- version: 110000
-- rules: set-not-null-scan
-- why: PostgreSQL 11 does not use the CHECK to skip the scan: SET NOT NULL reads all of shop_product under ACCESS EXCLUSIVE.
ALTER TABLE shop_product ALTER COLUMN weight_grams SET NOT NULL;
