-- label: unsafe
-- version: 150000
-- rules: column-type-rewrite
-- why: varchar(200) -> varchar(100) checks and rewrites every row under ACCESS EXCLUSIVE; old code may still write 200 characters.
ALTER TABLE shop_product ALTER COLUMN name TYPE varchar(100);
