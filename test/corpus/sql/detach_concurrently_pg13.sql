-- label: unsafe
-- version: 130000
-- atomic: false
-- rules: partition-detach-blocking
-- why: DETACH PARTITION ... CONCURRENTLY exists only from PostgreSQL 14: on 13 it is a syntax error and the release fails.
ALTER TABLE shop_event DETACH PARTITION shop_event_2023 CONCURRENTLY;
