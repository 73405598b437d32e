CREATE TABLE shop_shipment (
    id bigserial PRIMARY KEY,
    order_id bigint NOT NULL,
    tracking varchar(40) NULL,
    shipped_at timestamptz NULL
)
