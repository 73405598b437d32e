-- label: safe
-- version: 150000
-- rules:
-- why: PG 12+ proves NOT NULL from the validated CHECK (weight_grams IS NOT NULL) without a scan: an instant ACCESS EXCLUSIVE; the old code already cannot write NULL.
ALTER TABLE shop_product ALTER COLUMN weight_grams SET NOT NULL;
