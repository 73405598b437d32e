-- label: safe
-- version: 150000
-- rules:
-- why: PRIMARY KEY USING INDEX on a NOT NULL column with a valid unique index: no build, no NOT NULL scan, an instant ACCESS EXCLUSIVE.
ALTER TABLE shop_legacy_import ADD CONSTRAINT shop_legacy_import_pkey PRIMARY KEY USING INDEX shop_legacy_import_external_id_idx;
