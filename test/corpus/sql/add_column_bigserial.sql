-- label: unsafe
-- version: 150000
-- rules: add-column-rewrite-generated
-- why: A bigserial column fills every row from a sequence: table rewrite under ACCESS EXCLUSIVE.
ALTER TABLE shop_product ADD COLUMN position bigserial;
