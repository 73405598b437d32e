-- label: unsafe
-- version: 100000
-- rules: add-column-volatile-default
-- why: The same kept default on PostgreSQL 10 fills every existing row: a full rewrite of shop_order under ACCESS EXCLUSIVE.
ALTER TABLE shop_order ADD COLUMN is_gift boolean NOT NULL DEFAULT false;
