package analysis

import (
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// Stmt is one SQL statement a migration runs, with where and how it runs.
type Stmt struct {
	sqlparse.Statement
	// Op is the operation that emits the statement.
	Op *plan.Operation
	// Deferred statements run at the end of the migration (Django's deferred SQL).
	Deferred bool
	// Sent is the whole string Django sends in one call; Index is this statement's position in it
	// and Count the number of statements it holds.
	Sent         string
	Index, Count int
	// Comments are the comments of Sent (exemptions live there).
	Comments []sqlparse.Comment
	// InTransaction is true when the statement runs inside a transaction block: the migration is
	// atomic, or Sent holds several statements (one implicit transaction).
	InTransaction bool
	// Held are the table locks the transaction already holds when the statement starts.
	Held map[string]LockMode
	// Effects are the locks the statement takes and whether it rewrites or scans each table.
	Effects []Effect
}

// Strongest returns the effect with the strongest lock (the zero Effect when none).
func (s *Stmt) Strongest() Effect {
	var best Effect
	for _, e := range s.Effects {
		if e.Mode > best.Mode {
			best = e
		}
	}
	return best
}
