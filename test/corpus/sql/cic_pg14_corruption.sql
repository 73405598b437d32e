-- label: unsafe
-- version: 140002
-- atomic: false
-- rules: cic-corruption-pg14
-- why: On PostgreSQL 14.0-14.3 CREATE INDEX CONCURRENTLY can silently build a corrupt index (fixed in 14.4).
CREATE INDEX CONCURRENTLY IF NOT EXISTS shop_order_note_idx ON shop_order (note);
