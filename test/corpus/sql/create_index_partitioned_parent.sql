-- label: unsafe
-- version: 150000
-- rules: index-create-blocking, partition-detach-blocking
-- why: An index on a partitioned parent cannot be built CONCURRENTLY: it builds on every partition under SHARE, blocking writes to all of them.
CREATE INDEX shop_event_kind_idx ON shop_event (kind);
