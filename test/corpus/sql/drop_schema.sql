-- label: unsafe
-- version: 150000
-- rules: drop-schema-or-database
-- why: DROP SCHEMA ... CASCADE destroys every object in it, data included.
DROP SCHEMA reporting CASCADE;
