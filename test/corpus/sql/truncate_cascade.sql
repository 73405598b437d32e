-- label: unsafe
-- version: 150000
-- rules: truncate-cascade
-- why: TRUNCATE ... CASCADE empties accounts_customer and, through the FK, shop_order: every order is lost.
TRUNCATE accounts_customer CASCADE;
