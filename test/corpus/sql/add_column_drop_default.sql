-- label: unsafe
-- version: 150000
-- rules: add-required-column
-- why: What Django's AddField(default=False) does: the default is dropped right away, so the old code's INSERTs, which omit is_vip, violate NOT NULL.
ALTER TABLE accounts_customer ADD COLUMN is_vip boolean DEFAULT false NOT NULL;
ALTER TABLE accounts_customer ALTER COLUMN is_vip DROP DEFAULT;
