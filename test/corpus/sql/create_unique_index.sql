-- label: unsafe
-- version: 150000
-- rules: index-create-blocking, add-unique-old-writers, unique-on-duplicates
-- why: A non-concurrent unique index blocks writes to accounts_customer for the build, and fails here because two customers share a phone.
-- apply-error: could not create unique index
CREATE UNIQUE INDEX accounts_customer_phone_uniq ON accounts_customer (phone);
