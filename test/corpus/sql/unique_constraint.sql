-- label: unsafe
-- version: 150000
-- rules: unique-constraint-blocking, add-unique-old-writers, unique-on-duplicates
-- why: ADD CONSTRAINT UNIQUE builds its index under ACCESS EXCLUSIVE on accounts_customer, and fails on the duplicate phone.
-- apply-error: could not create unique index
ALTER TABLE accounts_customer ADD CONSTRAINT accounts_customer_phone_key UNIQUE (phone);
