-- label: unsafe
-- version: 150000
-- rules: index-build-in-locked-tx, index-create-blocking
-- why: The ALTER's ACCESS EXCLUSIVE is still held while the index builds in the same transaction: shop_order is unreadable for the whole build.
ALTER TABLE shop_order ADD COLUMN priority integer NULL;
CREATE INDEX shop_order_priority_idx ON shop_order (priority);
