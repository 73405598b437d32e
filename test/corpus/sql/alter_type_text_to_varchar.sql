-- label: unsafe
-- version: 150000
-- rules: column-type-rewrite
-- why: text -> varchar(500) is a length coercion of every row (rewrite under ACCESS EXCLUSIVE).
ALTER TABLE shop_order ALTER COLUMN note TYPE varchar(500);
