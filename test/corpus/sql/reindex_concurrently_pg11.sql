-- label: unsafe
-- version: 110000
-- atomic: false
-- rules: reindex-blocking
-- why: REINDEX ... CONCURRENTLY exists only from PostgreSQL 12: on 11 it is a syntax error and the release fails.
REINDEX INDEX CONCURRENTLY shop_order_status_idx;
