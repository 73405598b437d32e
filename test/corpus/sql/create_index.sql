-- label: unsafe
-- version: 150000
-- rules: index-create-blocking
-- why: CREATE INDEX without CONCURRENTLY holds SHARE on shop_order for the whole build: every INSERT/UPDATE/DELETE waits.
CREATE INDEX shop_order_created_at_idx ON shop_order (created_at);
