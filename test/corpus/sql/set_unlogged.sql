-- label: unsafe
-- version: 150000
-- rules: table-rewrite-maintenance
-- why: SET UNLOGGED rewrites the table under ACCESS EXCLUSIVE (and the data is then lost on a crash).
ALTER TABLE shop_booking SET UNLOGGED;
