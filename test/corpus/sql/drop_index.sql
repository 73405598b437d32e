-- label: unsafe
-- version: 150000
-- rules: index-drop-blocking
-- why: DROP INDEX takes ACCESS EXCLUSIVE on shop_order; queued behind a long query it stalls every read, while DROP INDEX CONCURRENTLY needs no such lock.
DROP INDEX shop_order_status_idx;
