-- label: safe
-- version: 150000
-- rules: trigger-on-existing-table (warning)
-- why: CREATE TRIGGER takes SHARE ROW EXCLUSIVE on shop_order only for an instant, and the trigger only fills a column the old code does not know; an advisory.
ALTER TABLE shop_order ADD COLUMN updated_at timestamptz NULL;
CREATE FUNCTION shop_order_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER shop_order_touch BEFORE UPDATE ON shop_order FOR EACH ROW EXECUTE FUNCTION shop_order_touch();
