-- zdcd ledger, version 2: approvals bound to the exact plan that was reviewed. Expand-only, like
-- every ledger migration: nullable columns and new indexes, so a zdcd-release of version 1 (after
-- a rollback) still reads and writes this ledger.

-- What each migration of a recorded plan will do to the database: plan.Migration.Digest(),
-- "sha256:<hex>". NULL for plans recorded by a zdcd-release before version 2.
ALTER TABLE zdcd_ledger.run_migrations ADD COLUMN digest text;
CREATE INDEX run_migrations_key ON zdcd_ledger.run_migrations (app, name);

-- An approval holds for one digest of its migration until expires_at, and is used up
-- (consumed_at, consumed_by = the run that used it) when the release consumes it. source is
-- 'approve' (zdcd-release approve) or 'nightly' (recorded by the nightly flow for the plan of the
-- refused run run_id). Rows from version 1 have no digest and no expiry: they are never in force.
-- consumed_by and run_id are plain run ids, not foreign keys: a restore rolls runs back and the
-- release rewrites them afterwards (see Put).
ALTER TABLE zdcd_ledger.approvals
    ADD COLUMN digest      text,
    ADD COLUMN expires_at  timestamptz,
    ADD COLUMN consumed_at timestamptz,
    ADD COLUMN consumed_by bigint,
    ADD COLUMN source      text,
    ADD COLUMN run_id      bigint;
CREATE INDEX approvals_in_force ON zdcd_ledger.approvals (app, name)
    WHERE revoked_at IS NULL AND consumed_at IS NULL AND digest IS NOT NULL;

-- The nightly flow reads the outcome of the release phase it triggered by release version.
CREATE INDEX runs_release ON zdcd_ledger.runs (release_version, command, started_at DESC, id DESC);
