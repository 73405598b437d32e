-- label: safe
-- version: 150000
-- rules: enum-append-ordering (warning)
-- why: ALTER TYPE ... ADD VALUE is allowed in a transaction from PG 12 and changes nothing the old code writes; appending without BEFORE/AFTER is an ordering advisory.
ALTER TYPE order_state ADD VALUE 'refunded';
