-- label: unsafe
-- version: 150000
-- rules: add-required-column
-- why: NOT NULL without a default fails on a non-empty table, and even on an empty one the old code's INSERTs would fail.
-- apply-error: contains null values
ALTER TABLE shop_order ADD COLUMN warehouse_id bigint NOT NULL;
