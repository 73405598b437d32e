package migrate

import "github.com/zdcd/zdcd/internal/analysis"

// conflicts is PostgreSQL's table-level lock conflict matrix ("Conflicting Lock Modes" in the
// documentation, explicit-locking.html), indexed by analysis.LockMode. It is symmetric.
var conflicts = [...][]analysis.LockMode{
	analysis.NoLock:               nil,
	analysis.AccessShare:          {analysis.AccessExclusive},
	analysis.RowShare:             {analysis.Exclusive, analysis.AccessExclusive},
	analysis.RowExclusive:         {analysis.Share, analysis.ShareRowExclusive, analysis.Exclusive, analysis.AccessExclusive},
	analysis.ShareUpdateExclusive: {analysis.ShareUpdateExclusive, analysis.Share, analysis.ShareRowExclusive, analysis.Exclusive, analysis.AccessExclusive},
	analysis.Share:                {analysis.RowExclusive, analysis.ShareUpdateExclusive, analysis.ShareRowExclusive, analysis.Exclusive, analysis.AccessExclusive},
	analysis.ShareRowExclusive:    {analysis.RowExclusive, analysis.ShareUpdateExclusive, analysis.Share, analysis.ShareRowExclusive, analysis.Exclusive, analysis.AccessExclusive},
	analysis.Exclusive:            {analysis.RowShare, analysis.RowExclusive, analysis.ShareUpdateExclusive, analysis.Share, analysis.ShareRowExclusive, analysis.Exclusive, analysis.AccessExclusive},
	analysis.AccessExclusive:      {analysis.AccessShare, analysis.RowShare, analysis.RowExclusive, analysis.ShareUpdateExclusive, analysis.Share, analysis.ShareRowExclusive, analysis.Exclusive, analysis.AccessExclusive},
}

// Conflicts reports whether a table lock in mode a and one in mode b on the same table cannot be
// held at once by two sessions. NoLock (or an unknown mode) conflicts with nothing.
func Conflicts(a, b analysis.LockMode) bool {
	if a <= analysis.NoLock || int(a) >= len(conflicts) {
		return false
	}
	for _, m := range conflicts[a] {
		if m == b {
			return true
		}
	}
	return false
}
