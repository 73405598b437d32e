-- label: unsafe
-- version: 150000
-- rules: concurrently-in-transaction
-- why: CREATE INDEX CONCURRENTLY inside the atomic migration's transaction is a hard error at apply time.
-- apply-error: cannot run inside a transaction block
CREATE INDEX CONCURRENTLY IF NOT EXISTS shop_order_note_idx ON shop_order (note);
