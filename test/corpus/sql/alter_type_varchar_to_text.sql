-- label: safe
-- version: 150000
-- rules:
-- why: varchar(50) -> text is binary coercible: metadata only, and text accepts whatever the old code writes.
ALTER TABLE accounts_customer ALTER COLUMN nickname TYPE text;
