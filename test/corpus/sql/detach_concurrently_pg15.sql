-- label: safe
-- version: 150000
-- atomic: false
-- rules:
-- why: DETACH ... CONCURRENTLY outside a transaction takes SHARE UPDATE EXCLUSIVE on the parent: queries on shop_event continue.
ALTER TABLE shop_event DETACH PARTITION shop_event_2023 CONCURRENTLY;
