-- label: unsafe
-- version: 150000
-- rules: opaque-raw-sql
-- why: A DO block runs dynamic SQL the analyser cannot see; this one drops a column the old code selects.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE shop_order DROP COLUMN coupon_code';
END
$$;
