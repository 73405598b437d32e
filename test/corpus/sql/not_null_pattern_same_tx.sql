-- label: unsafe
-- version: 150000
-- rules: validate-in-same-tx
-- why: The CHECK NOT VALID / VALIDATE / SET NOT NULL steps in one transaction: VALIDATE scans while ADD CONSTRAINT's ACCESS EXCLUSIVE is still held.
ALTER TABLE shop_order ADD CONSTRAINT shop_order_status_not_null CHECK (status IS NOT NULL) NOT VALID;
ALTER TABLE shop_order VALIDATE CONSTRAINT shop_order_status_not_null;
