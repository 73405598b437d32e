package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/plan"
)

// Provenance is what the ledger knows about one applied migration: which run applied it and
// what the rules found in it when it was planned. The release phase reads it for the migrations
// the database holds and its code does not (schema ahead of code, DESIGN.md "Release phase" 9).
type Provenance struct {
	Key plan.MigrationKey `json:"key"`
	// AppliedBy is the newest run whose recorded applied sets show it applying the migration
	// (in After, not in Before); nil when no run recorded that (applied by hand, before zdcd, or
	// recorded without running: a squashed migration marked applied, --fake).
	AppliedBy *Run `json:"applied_by,omitempty"`
	// Planned is the migration as a recorded plan judged it: the applying run's plan when it
	// holds the migration, else the newest plan that does; nil when no plan recorded it.
	Planned *Migration `json:"planned,omitempty"`
	// PlannedIn is the run whose plan Planned comes from (0 when Planned is nil).
	PlannedIn int64 `json:"planned_in,omitempty"`
}

// Known reports whether the ledger can judge the migration: a recorded plan holds it.
func (p Provenance) Known() bool { return p.Planned != nil }

// Provenance returns, for each key in order, what the ledger recorded about it: the run that
// applied it and its judged plan. A key the ledger knows nothing about has a Provenance with
// only Key set.
func (p *Postgres) Provenance(ctx context.Context, keys []plan.MigrationKey) ([]Provenance, error) {
	out := make([]Provenance, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	err := p.read(ctx, "read the provenance of applied migrations", func(tx pgx.Tx) error {
		details := map[int64]*Detail{}
		load := func(id int64) (*Detail, error) {
			if d, ok := details[id]; ok {
				return d, nil
			}
			d, err := p.detail(ctx, tx, id)
			if err != nil {
				return nil, fmt.Errorf("run %d: %w", id, err)
			}
			details[id] = d
			return d, nil
		}
		for i, k := range keys {
			out[i].Key = k
			var applier int64
			err := tx.QueryRow(ctx, `SELECT r.id FROM zdcd_ledger.runs r JOIN zdcd_ledger.run_applied a ON a.run_id = r.id
				WHERE a.after @> jsonb_build_array(jsonb_build_array($1::text, $2::text))
				  AND NOT a.before @> jsonb_build_array(jsonb_build_array($1::text, $2::text))
				ORDER BY r.started_at DESC, r.id DESC LIMIT 1`, k.App, k.Name).Scan(&applier)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			if applier != 0 {
				d, err := load(applier)
				if err != nil {
					return err
				}
				run := d.Run
				out[i].AppliedBy = &run
				if m := findMigration(d, k); m != nil {
					out[i].Planned, out[i].PlannedIn = m, d.ID
					continue
				}
			}
			var planned int64
			err = tx.QueryRow(ctx, `SELECT r.id FROM zdcd_ledger.runs r
				WHERE EXISTS (SELECT 1 FROM zdcd_ledger.run_migrations m WHERE m.run_id = r.id AND m.app = $1 AND m.name = $2)
				ORDER BY r.started_at DESC, r.id DESC LIMIT 1`, k.App, k.Name).Scan(&planned)
			if errors.Is(err, pgx.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			d, err := load(planned)
			if err != nil {
				return err
			}
			if m := findMigration(d, k); m != nil {
				out[i].Planned, out[i].PlannedIn = m, d.ID
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func findMigration(d *Detail, k plan.MigrationKey) *Migration {
	for i := range d.Migrations {
		if d.Migrations[i].Key() == k {
			m := d.Migrations[i]
			return &m
		}
	}
	return nil
}

// LastSucceededBefore returns the newest Heroku release version below version whose release
// phase (or nightly run) succeeded (applied, or found nothing pending), per the ledger: a
// release whose code went live. 0 when the ledger knows none.
func (p *Postgres) LastSucceededBefore(ctx context.Context, version int) (int, error) {
	var v int
	err := p.read(ctx, fmt.Sprintf("find the last succeeded release before v%d", version), func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT coalesce(max(release_version), 0) FROM zdcd_ledger.runs
			WHERE command IN ('release', 'nightly') AND outcome IN ('applied', 'nothing-pending')
			  AND release_version > 0 AND release_version < $1`, version).Scan(&v)
		return err
	})
	return v, err
}
