-- label: unsafe
-- version: 150000
-- rules: exclusion-constraint
-- why: ADD CONSTRAINT EXCLUDE builds a GiST index and checks every row under ACCESS EXCLUSIVE; there is no NOT VALID or USING INDEX path.
ALTER TABLE shop_booking ADD CONSTRAINT shop_booking_no_overlap EXCLUDE USING gist (during WITH &&);
