-- label: unsafe
-- version: 150000
-- rules: statements-after-ael, unbatched-dml
-- why: The ACCESS EXCLUSIVE from the ALTER on accounts_customer is held while a whole-table UPDATE of shop_order runs: customers can be neither read nor written for its duration.
ALTER TABLE accounts_customer ADD COLUMN vip boolean NULL;
UPDATE shop_order SET status = 'archived' WHERE status = 'done';
