package analysis

import (
	"runtime"
	"sync"

	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

type parseResult struct {
	script *sqlparse.Script
	err    error
}

// parseAll parses every distinct SQL string of the plan, on all cores: parsing (the PostgreSQL
// parser through cgo, then protobuf decoding) is most of the analysis time, it is independent per
// string, and libpg_query is thread-safe. The rules then walk the statements in order.
func parseAll(pl *plan.Plan) map[string]parseResult {
	seen := map[string]bool{}
	var texts []string
	var collect func(ops []plan.Operation)
	collect = func(ops []plan.Operation) {
		for i := range ops {
			for _, s := range ops[i].SQL {
				if !seen[s.SQL] {
					seen[s.SQL] = true
					texts = append(texts, s.SQL)
				}
			}
			collect(ops[i].DatabaseOperations)
		}
	}
	for i := range pl.Migrations {
		collect(pl.Migrations[i].Operations)
	}
	results := make([]parseResult, len(texts))
	workers := min(runtime.GOMAXPROCS(0), len(texts))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i].script, results[i].err = sqlparse.Parse(texts[i])
			}
		}()
	}
	for i := range texts {
		next <- i
	}
	close(next)
	wg.Wait()
	out := make(map[string]parseResult, len(texts))
	for i, t := range texts {
		out[t] = results[i]
	}
	return out
}
