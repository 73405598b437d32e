-- label: unsafe
-- version: 110000
-- rules: enum-add-value-in-transaction
-- why: Before PostgreSQL 12 ALTER TYPE ... ADD VALUE cannot run inside a transaction block: the atomic migration fails at apply time.
ALTER TYPE order_state ADD VALUE 'refunded';
