-- label: safe
-- version: 150000
-- atomic: false
-- rules:
-- why: CREATE INDEX CONCURRENTLY IF NOT EXISTS alone outside a transaction: SHARE UPDATE EXCLUSIVE lets reads and writes continue; a retry is idempotent.
CREATE INDEX CONCURRENTLY IF NOT EXISTS shop_order_note_idx ON shop_order (note);
