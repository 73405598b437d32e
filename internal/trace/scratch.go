package trace

import (
	"fmt"

	"github.com/zdcd/zdcd/internal/plan"
)

// SameStart checks that the scratch database has applied exactly the migrations production has
// (both sorted, as database.AppliedMigrations returns them): the plan starts there, and the trace
// applies it on top of what the scratch database holds. The error says what differs.
func SameStart(production, scratch []plan.MigrationKey) error {
	prod := make(map[plan.MigrationKey]bool, len(production))
	for _, k := range production {
		prod[k] = true
	}
	have := make(map[plan.MigrationKey]bool, len(scratch))
	for _, k := range scratch {
		have[k] = true
	}
	var onlyScratch, onlyProd []plan.MigrationKey
	for _, k := range scratch {
		if !prod[k] {
			onlyScratch = append(onlyScratch, k)
		}
	}
	for _, k := range production {
		if !have[k] {
			onlyProd = append(onlyProd, k)
		}
	}
	if len(onlyScratch) == 0 && len(onlyProd) == 0 {
		return nil
	}
	var what string
	switch {
	case len(onlyProd) > 0 && len(onlyScratch) > 0:
		what = fmt.Sprintf("%s is applied only in production, %s only on the scratch database", onlyProd[0], onlyScratch[0])
	case len(onlyProd) > 0:
		what = fmt.Sprintf("%s is applied only in production", listKeys(onlyProd))
	default:
		what = fmt.Sprintf("%s is applied only on the scratch database", listKeys(onlyScratch))
	}
	return fmt.Errorf("it has %d applied migrations and production %d (%s): restore a fresh copy of production into it first (docs/trace.md)",
		len(scratch), len(production), what)
}

// listKeys names the first key, and how many more there are.
func listKeys(keys []plan.MigrationKey) string {
	if len(keys) == 1 {
		return keys[0].String()
	}
	return fmt.Sprintf("%s (and %d more)", keys[0], len(keys)-1)
}
