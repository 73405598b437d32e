-- label: unsafe
-- version: 150000
-- rules: partition-detach-blocking
-- why: Plain DETACH PARTITION takes ACCESS EXCLUSIVE on the parent shop_event: every query on events waits.
ALTER TABLE shop_event DETACH PARTITION shop_event_2023;
