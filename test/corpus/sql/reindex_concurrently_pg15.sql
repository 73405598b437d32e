-- label: safe
-- version: 150000
-- atomic: false
-- rules:
-- why: REINDEX INDEX CONCURRENTLY on PostgreSQL 15 outside a transaction rebuilds without blocking reads or writes.
REINDEX INDEX CONCURRENTLY shop_order_status_idx;
