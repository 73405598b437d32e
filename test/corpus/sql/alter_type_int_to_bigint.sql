-- label: unsafe
-- version: 150000
-- rules: column-type-rewrite
-- why: integer -> bigint is not binary coercible: shop_order and its indexes are rewritten under ACCESS EXCLUSIVE.
ALTER TABLE shop_order ALTER COLUMN quantity TYPE bigint;
