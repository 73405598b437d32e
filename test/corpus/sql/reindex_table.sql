-- label: unsafe
-- version: 150000
-- rules: reindex-blocking
-- why: REINDEX TABLE blocks writes to shop_order and locks each index ACCESS EXCLUSIVE (reads that use it wait) for the rebuild.
REINDEX TABLE shop_order;
