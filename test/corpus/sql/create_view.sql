-- label: safe
-- version: 150000
-- rules:
-- why: A new view takes ACCESS SHARE on shop_order (compatible with everything but ACCESS EXCLUSIVE); the old code never reads it.
CREATE VIEW shop_order_daily AS
    SELECT date_trunc('day', created_at) AS day, count(*) AS orders, sum(total) AS revenue
    FROM shop_order
    GROUP BY 1;
