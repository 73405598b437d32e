-- label: unsafe
-- version: 150000
-- rules: rename-column
-- why: The old code still selects nickname and fails as soon as it is renamed.
ALTER TABLE accounts_customer RENAME COLUMN nickname TO display_name;
