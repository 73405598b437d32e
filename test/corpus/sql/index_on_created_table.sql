-- label: safe
-- version: 150000
-- created: shop_coupon
-- rules:
-- why: shop_coupon was created earlier in this release: it is empty and unused by the old code, so a plain (transactional) index build is instant.
CREATE UNIQUE INDEX shop_coupon_code_uniq ON shop_coupon (code);
