-- label: safe
-- version: 150000
-- rules:
-- why: varchar(200) -> varchar(300) is binary coercible: no rewrite, the index on name is kept, and name has no CHECK to re-validate.
ALTER TABLE shop_product ALTER COLUMN name TYPE varchar(300);
