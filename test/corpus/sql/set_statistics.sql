-- label: safe
-- version: 150000
-- rules:
-- why: SET STATISTICS takes SHARE UPDATE EXCLUSIVE: no reads or writes blocked, nothing visible to the old code.
ALTER TABLE shop_order ALTER COLUMN status SET STATISTICS 500;
