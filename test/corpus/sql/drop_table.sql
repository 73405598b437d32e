-- label: unsafe
-- version: 150000
-- rules: drop-table, destructive-nonempty
-- why: DROP TABLE of a table the old code still reads; its rows are lost.
DROP TABLE shop_legacy_import;
