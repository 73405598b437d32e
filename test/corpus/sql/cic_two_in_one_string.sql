-- label: unsafe
-- version: 150000
-- atomic: false
-- rules: concurrently-in-transaction
-- why: Two statements sent in one call run as one implicit transaction, so CONCURRENTLY fails even with atomic = False.
-- apply-error: cannot run inside a transaction block
CREATE INDEX CONCURRENTLY IF NOT EXISTS shop_order_note_idx ON shop_order (note);
CREATE INDEX CONCURRENTLY IF NOT EXISTS shop_order_coupon_code_idx ON shop_order (coupon_code);
