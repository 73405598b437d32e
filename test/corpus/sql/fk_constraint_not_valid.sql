-- label: safe
-- version: 150000
-- rules: fk-missing-index (warning)
-- why: FOREIGN KEY ... NOT VALID skips the scan: SHARE ROW EXCLUSIVE for an instant only. (referrer_id has no index: an advisory.)
ALTER TABLE shop_order ADD CONSTRAINT shop_order_referrer_id_fk FOREIGN KEY (referrer_id) REFERENCES accounts_customer (id) NOT VALID;
