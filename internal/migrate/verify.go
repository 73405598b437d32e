package migrate

import (
	"errors"
	"fmt"
	"sort"

	"github.com/zdcd/zdcd/internal/plan"
)

// ErrBeyondTarget is wrapped (with ErrFailed) by the error of a run whose one-at-a-time attempt
// applied more than the migration it was started for.
//
// In one-at-a-time mode each attempt runs under the lock_timeout chosen for its target alone (0
// for a CONCURRENTLY build), so a command that drops the appended `<app> <migration>` — a wrapper
// script that does not pass its arguments on — would apply the whole plan without the short
// lock_timeout. Config load refuses the wrappers it can read (a sh -c script without "$@"); for
// the rest, every such attempt is verified: django_migrations before and after must differ by the
// target only (and, for a squashed target, the migrations it replaces). Anything more stops the
// run at once as a failed migration, and the release's recovery judges what was applied.
var ErrBeyondTarget = errors.New("the migrate command applied more than the migration it was asked for")

// beyondTarget returns the migrations recorded between before and after that an attempt for
// target should not have applied, sorted.
func beyondTarget(target Migration, before, after map[plan.MigrationKey]bool) []plan.MigrationKey {
	ok := map[plan.MigrationKey]bool{target.Key: true}
	for _, k := range target.Replaces {
		ok[k] = true
	}
	var extra []plan.MigrationKey
	for k := range after {
		if !before[k] && !ok[k] {
			extra = append(extra, k)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i].String() < extra[j].String() })
	return extra
}

// beyondTargetError is the run's error when an attempt for target applied extra.
func beyondTargetError(target plan.MigrationKey, extra []plan.MigrationKey) error {
	return fmt.Errorf("%w: %w: the attempt for %s alone (its app and name appended to ZDCD_MIGRATE_COMMAND) also applied %s; "+
		"the command must pass on the two arguments zdcd appends to manage.py migrate (in a shell script: \"$@\")",
		ErrFailed, ErrBeyondTarget, target, plan.JoinKeys(extra))
}
