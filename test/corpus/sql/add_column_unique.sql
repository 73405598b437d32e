-- label: unsafe
-- version: 150000
-- rules: unique-constraint-blocking, index-build-in-locked-tx
-- why: ADD COLUMN ... UNIQUE builds the unique index while the ALTER holds ACCESS EXCLUSIVE: shop_order is unreadable for the build.
ALTER TABLE shop_order ADD COLUMN tracking_code varchar(40) UNIQUE;
