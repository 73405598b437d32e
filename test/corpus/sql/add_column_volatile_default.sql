-- label: unsafe
-- version: 150000
-- rules: add-column-volatile-default
-- why: gen_random_uuid() is volatile: every row gets its own value, so shop_order is rewritten under ACCESS EXCLUSIVE even on PG 11+.
ALTER TABLE shop_order ADD COLUMN token uuid DEFAULT gen_random_uuid();
