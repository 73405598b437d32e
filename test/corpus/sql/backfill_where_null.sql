-- label: unsafe
-- version: 150000
-- rules: unbatched-dml
-- why: The usual backfill of a column added by an earlier release: WHERE col IS NULL matches nearly every production row, all updated and row-locked in one transaction, no batching.
UPDATE shop_order SET coupon_code = '' WHERE coupon_code IS NULL;
