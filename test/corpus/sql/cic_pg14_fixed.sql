-- label: safe
-- version: 140005
-- atomic: false
-- rules:
-- why: PostgreSQL 14.5 has the CONCURRENTLY corruption fix: an ordinary non-blocking, idempotent index build.
CREATE INDEX CONCURRENTLY IF NOT EXISTS shop_order_note_idx ON shop_order (note);
