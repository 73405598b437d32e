-- label: unsafe
-- version: 150000
-- rules: drop-column
-- why: The old code still names legacy_code in every SELECT of shop_product and fails; the data is gone.
ALTER TABLE shop_product DROP COLUMN legacy_code;
