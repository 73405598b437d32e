-- label: safe
-- version: 150000
-- rules:
-- why: VALIDATE of a constraint added NOT VALID by an earlier release takes SHARE UPDATE EXCLUSIVE: reads and writes continue during the scan.
ALTER TABLE shop_order VALIDATE CONSTRAINT shop_order_quantity_gt_0;
