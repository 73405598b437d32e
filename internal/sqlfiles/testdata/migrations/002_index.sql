-- zdcd:no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_created_idx ON orders (created);
