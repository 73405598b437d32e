-- label: unsafe
-- version: 150000
-- rules: backfill-in-ddl-tx, unbatched-dml
-- why: The backfill UPDATE runs under the ACCESS EXCLUSIVE the ADD COLUMN took: shop_order is blocked for the whole backfill.
ALTER TABLE shop_order ADD COLUMN is_gift boolean NULL;
UPDATE shop_order SET is_gift = false;
