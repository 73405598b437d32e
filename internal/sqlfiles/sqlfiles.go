// Package sqlfiles is a plan source for plain SQL migration files: each file is one migration,
// each statement one operation, so findings point at the statement's line in the file.
//
// A file runs in one transaction unless it opts out with a comment line `-- zdcd:no-transaction`
// (goose's `-- +goose NO TRANSACTION` is honoured too). In goose files only the Up section is
// read: statements after `-- +goose Down` are not part of the deploy.
package sqlfiles

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// Markers recognised in SQL files.
const (
	NoTransaction      = "zdcd:no-transaction"
	gooseNoTransaction = "+goose NO TRANSACTION"
	gooseDown          = "+goose Down"
)

// Error is a path that cannot be read as SQL migrations.
type Error struct {
	Path    string
	Problem string
}

func (e *Error) Error() string { return e.Path + ": " + e.Problem }

// Load reads the .sql files at paths (files, or directories whose *.sql files are taken in name
// order) into a plan, in the order given. File names are kept as given, relative to the working
// directory, so reports point at them.
func Load(paths []string) (*plan.Plan, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, &Error{Path: p, Problem: "no such file or directory"}
		}
		if !fi.IsDir() {
			if !strings.HasSuffix(p, ".sql") {
				return nil, &Error{Path: p, Problem: "not a .sql file (lint takes .sql files or directories of them; without paths it lints the Django project's migrations)"}
			}
			files = append(files, p)
			continue
		}
		found, _ := filepath.Glob(filepath.Join(p, "*.sql"))
		if len(found) == 0 {
			return nil, &Error{Path: p, Problem: "holds no .sql files"}
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	pl := &plan.Plan{Migrations: []plan.Migration{}}
	for _, f := range files {
		m, err := loadFile(f)
		if err != nil {
			return nil, err
		}
		pl.Migrations = append(pl.Migrations, m)
	}
	return pl, nil
}

func loadFile(path string) (plan.Migration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return plan.Migration{}, &Error{Path: path, Problem: err.Error()}
	}
	sql := string(b)
	m := plan.Migration{
		App:        filepath.Base(filepath.Dir(path)),
		Name:       strings.TrimSuffix(filepath.Base(path), ".sql"),
		File:       path,
		Atomic:     true,
		Operations: []plan.Operation{},
	}
	script, err := sqlparse.Parse(sql)
	if err != nil {
		// The analyser reports unparseable SQL (fail closed); point at the parser's line.
		line := 1
		if pe, ok := err.(*sqlparse.ParseError); ok && pe.Line > 0 {
			line = pe.Line
		}
		m.Atomic = !optsOut(sql, nil)
		m.Operations = append(m.Operations, operation(0, line, sql))
		return m, nil
	}
	end := len(sql)
	for _, c := range script.Comments {
		if strings.HasPrefix(c.Text, gooseDown) && c.Offset < end {
			end = c.Offset
		}
	}
	m.Atomic = !optsOut(sql, script.Comments)
	for _, st := range script.Statements {
		b := st.Info()
		if b.Offset >= end {
			break
		}
		m.Operations = append(m.Operations, operation(len(m.Operations), b.Line, b.Text))
	}
	return m, nil
}

func operation(index, line int, sql string) plan.Operation {
	return plan.Operation{
		Index: index, Class: "SQL", Describe: fmt.Sprintf("SQL statement at line %d", line), Line: line,
		ReducesToSQL: true, SQL: []plan.Statement{{SQL: sql}},
	}
}

// optsOut reports a no-transaction marker among the comments (or, for SQL that does not parse,
// on a comment line of its own).
func optsOut(sql string, comments []sqlparse.Comment) bool {
	if comments == nil {
		for _, l := range strings.Split(sql, "\n") {
			l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "--"))
			if l == NoTransaction || l == gooseNoTransaction {
				return true
			}
		}
		return false
	}
	for _, c := range comments {
		if c.Text == NoTransaction || c.Text == gooseNoTransaction {
			return true
		}
	}
	return false
}
