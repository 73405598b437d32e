-- label: unsafe
-- version: 150000
-- rules: set-not-null-scan, not-null-on-nulls
-- why: SET NOT NULL scans shop_order under ACCESS EXCLUSIVE (no validated CHECK on note) and fails here on the existing NULLs.
-- apply-error: contains null values
ALTER TABLE shop_order ALTER COLUMN note SET NOT NULL;
