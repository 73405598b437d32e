-- label: unsafe
-- version: 150000
-- rules: missing-lock-timeout
-- why: lock_timeout = 0 removes the guard: the ALTER's ACCESS EXCLUSIVE request can wait behind a long transaction forever while every query on shop_order queues behind it.
SET lock_timeout = 0;
ALTER TABLE shop_order ADD COLUMN source varchar(20) NULL;
