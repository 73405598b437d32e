package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// docRow is one row of docs/configuration.md's table of variables.
type docRow struct {
	line         int
	name, defCol string
}

// docVariables reads the table of variables of docs/configuration.md: the rows after the header
// "| variable | default | meaning |", up to the first line that is not a row.
func docVariables(t *testing.T) []docRow {
	t.Helper()
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile("^`([A-Z][A-Z0-9_]*)`")
	var rows []docRow
	in := false
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "| variable | default | meaning |"):
			in = true
			continue
		case !in:
			continue
		case !strings.HasPrefix(line, "|"):
			return rows
		case strings.HasPrefix(line, "| ---"):
			continue
		}
		cells := strings.Split(line, " | ")
		if len(cells) < 3 {
			t.Fatalf("docs/configuration.md:%d: not a row of three cells: %s", i+1, line)
		}
		m := name.FindStringSubmatch(strings.TrimPrefix(cells[0], "| "))
		if m == nil {
			t.Fatalf("docs/configuration.md:%d: the first cell names no variable: %s", i+1, line)
		}
		rows = append(rows, docRow{line: i + 1, name: m[1], defCol: cells[1]})
	}
	return rows
}

// TestVariablesDocumented checks the table of variables against docs/configuration.md: each
// variable documented once, no documented variable unknown, and the same default. A default the
// docs write as one code span (`100ms`) must be the table's; "—" is no default value; prose
// ("any time") describes a default that is no value, as the table's note does.
func TestVariablesDocumented(t *testing.T) {
	byName := map[string]*variable{}
	for i := range variables {
		byName[variables[i].name] = &variables[i]
	}
	single := regexp.MustCompile("^`([^`]*)`$")
	seen := map[string]bool{}
	for _, row := range docVariables(t) {
		v := byName[row.name]
		if v == nil {
			t.Errorf("docs/configuration.md:%d documents %s, which zdcd does not read", row.line, row.name)
			continue
		}
		if seen[row.name] {
			t.Errorf("docs/configuration.md:%d documents %s twice", row.line, row.name)
		}
		seen[row.name] = true
		switch m := single.FindStringSubmatch(row.defCol); {
		case m != nil && m[1] != v.def:
			t.Errorf("docs/configuration.md:%d: %s defaults to %s, the table to %q", row.line, row.name, row.defCol, v.def)
		case m != nil:
		case row.defCol == "—" && v.def != "":
			t.Errorf("docs/configuration.md:%d: %s has no default value, the table has %q", row.line, row.name, v.def)
		case row.defCol == "—":
		case v.def != "" || v.note == "":
			t.Errorf("docs/configuration.md:%d: %s defaults to %q, the table to %q (note %q)", row.line, row.name, row.defCol, v.def, v.note)
		}
		if !v.hasDefault() && row.defCol != "—" {
			t.Errorf("docs/configuration.md:%d: %s has no default in the table, the docs give %q", row.line, row.name, row.defCol)
		}
	}
	for i := range variables {
		if !seen[variables[i].name] {
			t.Errorf("%s is not documented in docs/configuration.md's table of variables", variables[i].name)
		}
	}
}

// TestVariables checks the table itself: unique names, a one-line help, every default valid.
func TestVariables(t *testing.T) {
	seen := map[string]bool{}
	for i := range variables {
		v := &variables[i]
		if seen[v.name] {
			t.Errorf("%s is declared twice", v.name)
		}
		seen[v.name] = true
		if v.help == "" || strings.Contains(v.help, "\n") {
			t.Errorf("%s: help must be one line, is %q", v.name, v.help)
		}
		if v.group == "" || v.parse == nil || v.show == nil {
			t.Errorf("%s: group, parse and show are required", v.name)
		}
		if v.def != "" && v.note != "" {
			t.Errorf("%s: a note describes a default that is no value, but the default is %q", v.name, v.def)
		}
		if v.def != "" {
			c := Defaults()
			if problem := v.parse(c, v.def); problem != "" {
				t.Errorf("%s: the default %q %s", v.name, v.def, problem)
			}
			if got := v.show(c); got != v.def {
				t.Errorf("%s: the default %q shows as %q", v.name, v.def, got)
			}
		}
	}
	for _, name := range []string{"HEROKU_API_KEY"} {
		if !isSecretVar(name) {
			t.Errorf("%s is not secret", name)
		}
	}
}
