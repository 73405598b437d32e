-- label: unsafe
-- version: 150000
-- rules: add-column-volatile-default
-- why: clock_timestamp() is volatile: a full rewrite of accounts_customer under ACCESS EXCLUSIVE.
ALTER TABLE accounts_customer ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp();
