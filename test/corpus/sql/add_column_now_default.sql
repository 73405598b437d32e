-- label: safe
-- version: 150000
-- rules:
-- why: now() is STABLE, not volatile: evaluated once and stored as a fast default on PG 11+ (no rewrite); the column is nullable.
ALTER TABLE shop_order ADD COLUMN imported_at timestamptz DEFAULT now();
