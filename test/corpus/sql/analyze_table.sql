-- label: safe
-- version: 150000
-- rules:
-- why: ANALYZE samples the table under SHARE UPDATE EXCLUSIVE: reads and writes continue.
ANALYZE shop_order;
