-- label: safe
-- version: 150000
-- rules: json-column (warning)
-- why: A nullable json column is metadata only and unseen by the old code; json's missing equality operator is an advisory for future queries.
ALTER TABLE shop_product ADD COLUMN specs json NULL;
