-- label: unsafe
-- version: 150000
-- rules: unbatched-dml, destructive-nonempty
-- why: A DELETE over the whole order history in one transaction: long row locks, WAL spike, and data loss with no way back.
DELETE FROM shop_order WHERE created_at < now() - interval '1 day';
