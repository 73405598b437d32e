-- zdcd ledger, version 3: which database session recorded a run. Expand-only.
--
-- FinishAbandoned closes the runs whose process died before recording an outcome. The release
-- lock alone cannot tell: the nightly flow releases it while the release phase it triggered runs
-- (and takes it). A run whose session is still connected is alive, whatever the lock says.
-- Rows from before version 3 have NULLs and are judged by the lock alone, as before.
ALTER TABLE zdcd_ledger.runs
    ADD COLUMN backend_pid   integer,
    ADD COLUMN backend_start timestamptz;
