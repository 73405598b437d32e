-- label: safe
-- version: 150000
-- rules: drop-not-null (warning)
-- why: DROP NOT NULL is metadata only; the old code keeps writing values. Only an advisory about NULLs the old code might later read.
ALTER TABLE shop_order ALTER COLUMN status DROP NOT NULL;
