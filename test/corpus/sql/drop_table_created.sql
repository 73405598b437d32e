-- label: safe
-- version: 150000
-- created: shop_coupon
-- rules:
-- why: The table was created earlier in this release: empty, and the old code never heard of it.
DROP TABLE shop_coupon;
