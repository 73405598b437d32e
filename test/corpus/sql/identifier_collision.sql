-- label: unsafe
-- version: 150000
-- rules: identifier-too-long
-- why: Both names are cut to the same 63 bytes, so the second ADD COLUMN collides with the first and the migration fails at apply time.
-- apply-error: already exists
ALTER TABLE shop_order
    ADD COLUMN shipping_address_verification_status_reported_by_the_carrier_api_v1 text NULL,
    ADD COLUMN shipping_address_verification_status_reported_by_the_carrier_api_v2 text NULL;
