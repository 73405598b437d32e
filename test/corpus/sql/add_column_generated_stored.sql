-- label: unsafe
-- version: 150000
-- rules: add-column-rewrite-generated
-- why: A STORED generated column is computed for every row: table rewrite under ACCESS EXCLUSIVE.
ALTER TABLE shop_product ADD COLUMN price_cents bigint GENERATED ALWAYS AS ((price * 100)::bigint) STORED;
