-- label: unsafe
-- version: 150000
-- rules: fk-validating
-- why: ADD FOREIGN KEY without NOT VALID takes SHARE ROW EXCLUSIVE on shop_order and accounts_customer (writes blocked) while every order row is checked.
ALTER TABLE shop_order ADD CONSTRAINT shop_order_referrer_id_fk FOREIGN KEY (referrer_id) REFERENCES accounts_customer (id);
