-- label: unsafe
-- version: 150000
-- rules: explicit-tx-control
-- why: COMMIT inside an atomic migration ends Django's transaction early: the migration is half applied before it is recorded, and later statements run outside any transaction.
BEGIN;
ALTER TABLE shop_order ADD COLUMN flagged boolean NULL;
COMMIT;
