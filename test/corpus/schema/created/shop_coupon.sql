CREATE TABLE shop_coupon (
    id bigserial PRIMARY KEY,
    code varchar(20) NOT NULL,
    order_id bigint NULL,
    percent_off integer NOT NULL
)
