-- label: safe
-- version: 150000
-- rules: fk-dropped (warning)
-- why: Dropping an FK is an instant lock on both tables and the old code keeps working; losing integrity is an advisory.
ALTER TABLE shop_order DROP CONSTRAINT shop_order_product_id_fk;
