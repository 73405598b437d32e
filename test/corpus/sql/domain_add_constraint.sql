-- label: unsafe
-- version: 150000
-- rules: domain-constraint
-- why: ALTER DOMAIN ADD CONSTRAINT re-checks every column using the domain (shop_order.discount), locking those tables during the scan; old code writing negative discounts then fails.
ALTER DOMAIN positive_amount ADD CONSTRAINT positive_amount_check CHECK (VALUE > 0);
