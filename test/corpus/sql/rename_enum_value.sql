-- label: unsafe
-- version: 150000
-- rules: rename-enum-value
-- why: The old code still writes state = 'paid', which no longer exists after the rename.
ALTER TYPE order_state RENAME VALUE 'paid' TO 'settled';
