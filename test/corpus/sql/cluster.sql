-- label: unsafe
-- version: 150000
-- rules: table-rewrite-maintenance
-- why: CLUSTER rewrites shop_order in index order under ACCESS EXCLUSIVE.
CLUSTER shop_order USING shop_order_pkey;
