-- label: unsafe
-- version: 150000
-- rules: primary-key-blocking
-- why: ADD PRIMARY KEY builds a unique index under ACCESS EXCLUSIVE on shop_legacy_import.
ALTER TABLE shop_legacy_import ADD PRIMARY KEY (external_id);
