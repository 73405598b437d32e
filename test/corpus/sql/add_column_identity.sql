-- label: unsafe
-- version: 150000
-- rules: add-column-rewrite-generated
-- why: GENERATED ... AS IDENTITY numbers every existing row: table rewrite under ACCESS EXCLUSIVE.
ALTER TABLE shop_legacy_import ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
