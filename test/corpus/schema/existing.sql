-- The schema production already runs, with a few rows: every SQL case of the corpus is written
-- against it. The corpus test loads it into a throwaway database, reads column types and validated
-- CHECK constraints from there (zdcd has the live database in the release phase), and applies every
-- case to a fresh copy to prove the case's SQL is real.

CREATE SCHEMA reporting;
CREATE TABLE reporting.daily_sales (day date PRIMARY KEY, revenue numeric(12, 2) NOT NULL);

CREATE TYPE order_state AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN positive_amount AS numeric(10, 2);

CREATE TABLE accounts_customer (
    id bigserial PRIMARY KEY,
    email varchar(254) NOT NULL CONSTRAINT accounts_customer_email_key UNIQUE,
    name varchar(100) NOT NULL,
    nickname varchar(50) NULL,
    phone varchar(20) NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shop_product (
    id bigserial PRIMARY KEY,
    name varchar(200) NOT NULL,
    price numeric(10, 2) NOT NULL CONSTRAINT shop_product_price_gte_0 CHECK (price >= 0),
    sku varchar(32) NULL,
    legacy_code varchar(20) NULL,
    description text NOT NULL DEFAULT '',
    -- The middle step of the NOT NULL pattern: a validated CHECK (col IS NOT NULL), no NOT NULL yet.
    weight_grams integer NULL CONSTRAINT shop_product_weight_grams_not_null CHECK (weight_grams IS NOT NULL),
    width_mm integer NULL
);
-- Built CONCURRENTLY by an earlier release, ready for ADD CONSTRAINT ... UNIQUE USING INDEX.
CREATE UNIQUE INDEX shop_product_sku_uniq_idx ON shop_product (sku);
CREATE INDEX shop_product_name_idx ON shop_product (name);

CREATE TABLE shop_order (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL CONSTRAINT shop_order_customer_id_fk REFERENCES accounts_customer (id) DEFERRABLE INITIALLY DEFERRED,
    product_id bigint NOT NULL CONSTRAINT shop_order_product_id_fk REFERENCES shop_product (id) DEFERRABLE INITIALLY DEFERRED,
    referrer_id bigint NULL,
    quantity integer NOT NULL,
    status varchar(20) NOT NULL,
    state order_state NOT NULL DEFAULT 'new',
    note text NULL,
    coupon_code varchar(32) NULL,
    discount positive_amount NULL,
    total numeric(10, 2) NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shop_order_customer_id_idx ON shop_order (customer_id);
CREATE INDEX shop_order_product_id_idx ON shop_order (product_id);
CREATE INDEX shop_order_status_idx ON shop_order (status);
-- Added NOT VALID by an earlier release; VALIDATE CONSTRAINT is still to come.
ALTER TABLE shop_order ADD CONSTRAINT shop_order_quantity_gt_0 CHECK (quantity > 0) NOT VALID;

-- A table without a primary key yet, and the unique index built for one.
CREATE TABLE shop_legacy_import (external_id bigint NOT NULL, payload text NULL);
CREATE UNIQUE INDEX shop_legacy_import_external_id_idx ON shop_legacy_import (external_id);

CREATE TABLE shop_booking (id bigserial PRIMARY KEY, room integer NOT NULL, during tsrange NOT NULL);

CREATE TABLE shop_event (id bigint NOT NULL, kind varchar(20) NOT NULL, happened_at timestamptz NOT NULL)
    PARTITION BY RANGE (happened_at);
CREATE TABLE shop_event_2023 PARTITION OF shop_event FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE shop_event_2024 PARTITION OF shop_event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

INSERT INTO accounts_customer (email, name, nickname, phone) VALUES
    ('ada@example.com', 'Ada', NULL, '555-0100'),
    ('bob@example.com', 'Bob', 'bobby', '555-0100'),
    ('cy@example.com', 'Cy', NULL, NULL);
INSERT INTO shop_product (name, price, sku, legacy_code, weight_grams) VALUES
    ('Teapot', 25.00, 'TP-1', 'L-17', 900),
    ('Cup', 6.50, NULL, NULL, 200),
    ('Saucer', 4.00, NULL, 'L-19', 150);
INSERT INTO shop_order (customer_id, product_id, quantity, status, note, total) VALUES
    (1, 1, 1, 'done', NULL, 25.00),
    (1, 2, 4, 'done', 'gift', 26.00),
    (2, 3, 2, 'new', NULL, 8.00),
    (3, 2, 1, 'paid', NULL, NULL);
INSERT INTO shop_legacy_import (external_id, payload) VALUES (1, 'a'), (2, 'b');
INSERT INTO shop_booking (room, during) VALUES (1, '[2024-01-01 10:00, 2024-01-01 11:00)');
INSERT INTO shop_event (id, kind, happened_at) VALUES (1, 'view', '2023-05-01'), (2, 'buy', '2024-02-01');
INSERT INTO reporting.daily_sales VALUES ('2024-01-01', 59.00);
