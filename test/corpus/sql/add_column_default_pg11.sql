-- label: safe
-- version: 110000
-- rules:
-- why: PostgreSQL 11+ stores a constant default in the catalog (no rewrite); the column is nullable and keeps its default, so the old code's INSERTs get 'web'.
ALTER TABLE shop_order ADD COLUMN channel varchar(20) DEFAULT 'web';
