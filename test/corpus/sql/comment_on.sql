-- label: safe
-- version: 150000
-- rules:
-- why: COMMENT ON takes SHARE UPDATE EXCLUSIVE for an instant (no reads or writes blocked) and changes nothing the old code sees.
COMMENT ON TABLE shop_order IS 'One order of one product by one customer';
COMMENT ON COLUMN shop_order.note IS 'Free text from the checkout form';
