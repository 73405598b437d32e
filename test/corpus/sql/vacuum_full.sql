-- label: unsafe
-- version: 150000
-- atomic: false
-- rules: table-rewrite-maintenance
-- why: VACUUM FULL rewrites shop_order under ACCESS EXCLUSIVE: no reads or writes until it ends.
VACUUM FULL shop_order;
