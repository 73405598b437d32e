-- label: unsafe
-- version: 100000
-- rules: add-column-volatile-default
-- why: Before PostgreSQL 11 any non-null default on ADD COLUMN rewrites the whole table under ACCESS EXCLUSIVE.
ALTER TABLE shop_order ADD COLUMN channel varchar(20) DEFAULT 'web';
