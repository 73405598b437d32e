-- label: unsafe
-- version: 150000
-- rules: rename-schema
-- why: The old code still reads reporting.daily_sales.
ALTER SCHEMA reporting RENAME TO analytics;
