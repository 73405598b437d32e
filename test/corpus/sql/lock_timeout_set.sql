-- label: safe
-- version: 150000
-- rules:
-- why: A short local lock_timeout plus a catalog-only ADD COLUMN: the lock is instant, and if it cannot be had in 2s the statement gives up instead of stalling traffic.
SET LOCAL lock_timeout = '2s';
ALTER TABLE shop_order ADD COLUMN source varchar(20) NULL;
