-- label: safe
-- version: 150000
-- rules:
-- why: numeric(10,2) -> numeric(14,2) keeps the scale: binary coercible, and total has no CHECK constraint.
ALTER TABLE shop_order ALTER COLUMN total TYPE numeric(14, 2);
