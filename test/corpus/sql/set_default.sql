-- label: safe
-- version: 150000
-- rules: default-change-partial-writes (warning)
-- why: SET DEFAULT is metadata only and affects only INSERTs that omit status, which the old code (Django, sends every column) never does.
ALTER TABLE shop_order ALTER COLUMN status SET DEFAULT 'new';
