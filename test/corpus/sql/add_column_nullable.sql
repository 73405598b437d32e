-- label: safe
-- version: 150000
-- rules:
-- why: ADD COLUMN NULL without default is catalog-only: an instant ACCESS EXCLUSIVE, invisible to the old code.
ALTER TABLE shop_order ADD COLUMN gift_message text NULL;
