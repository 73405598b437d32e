-- label: unsafe
-- version: 150000
-- rules: unbatched-dml
-- why: An UPDATE of every row of a production table in one statement row-locks them all until commit (the old code's writes wait) and writes a new version of each (WAL, bloat).
UPDATE shop_product SET description = '';
