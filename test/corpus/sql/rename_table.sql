-- label: unsafe
-- version: 150000
-- rules: rename-table
-- why: The old code still queries shop_product by its old name.
ALTER TABLE shop_product RENAME TO shop_item;
