-- label: safe
-- version: 150000
-- atomic: false
-- rules:
-- why: DROP INDEX CONCURRENTLY IF EXISTS outside a transaction waits for queries instead of blocking them; idempotent on retry.
DROP INDEX CONCURRENTLY IF EXISTS shop_order_status_idx;
