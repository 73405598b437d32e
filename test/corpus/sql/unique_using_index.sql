-- label: safe
-- version: 150000
-- rules:
-- why: UNIQUE USING INDEX adopts a valid unique index built concurrently earlier: no build, no scan, an instant ACCESS EXCLUSIVE, and uniqueness was already enforced.
ALTER TABLE shop_product ADD CONSTRAINT shop_product_sku_uniq UNIQUE USING INDEX shop_product_sku_uniq_idx;
