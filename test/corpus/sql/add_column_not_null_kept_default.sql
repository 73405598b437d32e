-- label: safe
-- version: 150000
-- rules:
-- why: NOT NULL with a constant default that stays in the database: no rewrite on PG 11+, and the old code's INSERTs (no is_gift) get false.
ALTER TABLE shop_order ADD COLUMN is_gift boolean NOT NULL DEFAULT false;
