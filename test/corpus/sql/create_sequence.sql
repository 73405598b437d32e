-- label: safe
-- version: 150000
-- rules:
-- why: A new sequence touches no existing table.
CREATE SEQUENCE shop_invoice_number_seq START 1000;
