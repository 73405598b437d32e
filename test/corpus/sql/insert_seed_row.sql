-- label: safe
-- version: 150000
-- rules:
-- why: Inserting one reference row takes ROW EXCLUSIVE (compatible with the old code's reads and writes) for an instant.
INSERT INTO shop_product (name, price, weight_grams) VALUES ('Gift card', 10.00, 0);
