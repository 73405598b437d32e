-- label: safe
-- version: 150000
-- rules:
-- why: A new empty table with an FK to shop_product: SHARE ROW EXCLUSIVE on the parent for an instant (nothing to validate), and the old code never reads the new table.
CREATE TABLE shop_review (
    id bigserial PRIMARY KEY,
    product_id bigint NOT NULL REFERENCES shop_product (id),
    rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body text NOT NULL DEFAULT ''
);
CREATE INDEX shop_review_product_id_idx ON shop_review (product_id);
