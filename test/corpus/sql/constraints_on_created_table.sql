-- label: safe
-- version: 150000
-- created: shop_shipment
-- rules:
-- why: Validating CHECK and FK constraints, SET NOT NULL and a NOT NULL column on a table created earlier in this release: empty, so every scan is instant; the FK's lock on shop_order is instant too.
ALTER TABLE shop_shipment ADD CONSTRAINT shop_shipment_tracking_len CHECK (char_length(tracking) > 5);
ALTER TABLE shop_shipment ADD CONSTRAINT shop_shipment_order_id_fk FOREIGN KEY (order_id) REFERENCES shop_order (id);
ALTER TABLE shop_shipment ALTER COLUMN tracking SET NOT NULL;
ALTER TABLE shop_shipment ADD COLUMN carrier varchar(20) NOT NULL;
