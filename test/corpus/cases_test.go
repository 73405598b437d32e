package corpus

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Labels of a case: unsafe must block the release, safe must not (warnings only).
const (
	Unsafe = "unsafe"
	Safe   = "safe"
)

// Kinds of case.
const (
	KindSQL    = "sql"
	KindDjango = "django"
)

// Case is one labelled situation of the corpus: a file under sql/ or django/.
type Case struct {
	Name string
	Kind string
	// File is the case's path relative to test/corpus.
	File string
	// Label is Unsafe or Safe, decided from PostgreSQL's locking semantics and what the old code
	// sees (HAZARDS.md), never from zdcd's output.
	Label string
	// Version is the server_version_num the label assumes.
	Version int
	// Atomic is the migration's atomic flag (SQL cases; Django cases say it in Python).
	Atomic bool
	// Created are tables created earlier in the release (SQL cases): schema/created/<table>.sql.
	Created []string
	// Rules are the rules expected to fire: informational, the score is on the label.
	Rules []string
	// Why is the one-line rationale of the label.
	Why string
	// ApplyError, when set, is a substring of the error PostgreSQL 15 (or Django) raises when the
	// case is applied to the corpus schema: the case is expected to fail at apply time.
	ApplyError string
	// Body is the SQL (SQL cases) or the Python after the header (Django cases).
	Body string
}

// Unsafe reports whether the case is labelled unsafe.
func (c *Case) Unsafe() bool { return c.Label == Unsafe }

// Minimum sizes of the corpus (the requirement), enforced so that it cannot erode.
const (
	minCases  = 80
	minSQL    = 45
	minDjango = 40
	minSafe   = 35
)

var caseName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// loadCases reads every case under sql/ and django/, in name order (SQL first).
func loadCases(t testing.TB) []*Case {
	t.Helper()
	var cases []*Case
	var problems []string
	for _, kind := range []string{KindSQL, KindDjango} {
		ext := map[string]string{KindSQL: ".sql", KindDjango: ".py"}[kind]
		files, err := filepath.Glob(filepath.Join(kind, "*"+ext))
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(files)
		for _, f := range files {
			c, err := parseCase(kind, f)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", f, err))
				continue
			}
			cases = append(cases, c)
		}
	}
	if len(problems) > 0 {
		t.Fatalf("broken corpus cases:\n  %s", strings.Join(problems, "\n  "))
	}
	var nSQL, nDjango, nSafe int
	for _, c := range cases {
		if c.Kind == KindSQL {
			nSQL++
		} else {
			nDjango++
		}
		if !c.Unsafe() {
			nSafe++
		}
	}
	if len(cases) < minCases || nSQL < minSQL || nDjango < minDjango || nSafe < minSafe {
		t.Fatalf("the corpus is too small: %d cases (%d SQL, %d Django, %d safe), want at least %d (%d SQL, %d Django, %d safe)",
			len(cases), nSQL, nDjango, nSafe, minCases, minSQL, minDjango, minSafe)
	}
	return cases
}

// parseCase reads one case file: a header of `-- key: value` (SQL) or `# key: value` (Python)
// lines, then the body.
func parseCase(kind, path string) (*Case, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	base := filepath.Base(path)
	c := &Case{Name: strings.TrimSuffix(base, filepath.Ext(base)), Kind: kind, File: path, Atomic: true}
	if !caseName.MatchString(c.Name) {
		return nil, fmt.Errorf("case name %q: use lower_snake_case", c.Name)
	}
	if kind == KindDjango && len(c.Name) > 32 {
		return nil, fmt.Errorf("case name %q: at most 32 characters (it becomes a Django app label and part of index names)", c.Name)
	}
	prefix := map[string]string{KindSQL: "--", KindDjango: "#"}[kind]
	lines := strings.Split(string(b), "\n")
	seen := map[string]bool{}
	i := 0
	for ; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(line, prefix) {
			break
		}
		key, value, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, prefix)), ":")
		if !ok {
			return nil, fmt.Errorf("line %d: header lines are `%s key: value`", i+1, prefix)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if seen[key] {
			return nil, fmt.Errorf("line %d: %s given twice", i+1, key)
		}
		seen[key] = true
		switch key {
		case "label":
			if value != Unsafe && value != Safe {
				return nil, fmt.Errorf("label %q: want unsafe or safe", value)
			}
			c.Label = value
		case "version":
			v, err := strconv.Atoi(value)
			if err != nil || v < 90600 || v > 999999 {
				return nil, fmt.Errorf("version %q: want server_version_num, e.g. 150000", value)
			}
			c.Version = v
		case "atomic":
			if kind != KindSQL {
				return nil, fmt.Errorf("a Django case says `atomic = False` in Python, not in its header")
			}
			a, err := strconv.ParseBool(value)
			if err != nil {
				return nil, fmt.Errorf("atomic %q: want true or false", value)
			}
			c.Atomic = a
		case "created":
			if kind != KindSQL {
				return nil, fmt.Errorf("created: only for SQL cases (a Django case creates its models itself)")
			}
			c.Created = splitList(value)
			for _, table := range c.Created {
				if _, err := os.Stat(filepath.Join("schema", "created", table+".sql")); err != nil {
					return nil, fmt.Errorf("created table %s has no schema/created/%s.sql", table, table)
				}
			}
		case "rules":
			c.Rules = splitList(value)
		case "why":
			c.Why = value
		case "apply-error":
			c.ApplyError = value
		default:
			return nil, fmt.Errorf("line %d: unknown header key %q", i+1, key)
		}
	}
	if c.Label == "" || c.Version == 0 || c.Why == "" {
		return nil, fmt.Errorf("the header needs label, version and why")
	}
	if !seen["rules"] {
		return nil, fmt.Errorf("the header needs a rules line (empty for a case where nothing should fire)")
	}
	c.Body = strings.TrimSpace(strings.Join(lines[i:], "\n")) + "\n"
	if strings.TrimSpace(c.Body) == "" {
		return nil, fmt.Errorf("no body after the header")
	}
	if kind == KindDjango {
		if _, _, _, err := splitDjangoBody(c.Body); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// unsafeRows are the HAZARDS.md rows (B1–B5) whose default severity is unsafe: each needs at
// least one case labelled unsafe that expects it. non-linear-history is left out: it is a property
// of the migration history, not of a migration, and HAZARDS' harm is in the operations, which the
// other rules judge (zdcd reports it as a warning).
var unsafeRows = []string{
	// B1
	"index-create-blocking", "index-drop-blocking", "reindex-blocking", "index-build-in-locked-tx",
	"add-column-volatile-default", "add-column-rewrite-generated", "column-type-rewrite",
	"type-change-revalidates-check", "set-not-null-scan", "not-null-with-default-update",
	"check-constraint-validating", "fk-validating", "validate-in-same-tx", "unique-constraint-blocking",
	"primary-key-blocking", "exclusion-constraint", "domain-constraint", "partition-detach-blocking",
	"table-rewrite-maintenance", "statements-after-ael", "missing-lock-timeout",
	// B2
	"drop-column", "drop-table", "drop-schema-or-database", "truncate-cascade", "rename-column",
	"rename-table", "rename-schema", "rename-enum-value", "add-required-column", "add-unique-old-writers",
	// B3
	"unique-on-duplicates", "not-null-on-nulls", "destructive-nonempty",
	// B4
	"concurrently-in-transaction", "non-atomic-non-idempotent", "cic-corruption-pg14",
	"explicit-tx-control", "opaque-raw-sql", "identifier-too-long",
	// B5
	"backfill-in-ddl-tx", "unbatched-dml",
}

// warningRows are the advisory rows: each needs a case labelled safe where it is expected, so that
// a warning that turns into a block shows up as a false positive.
var warningRows = []string{
	"trigger-on-existing-table", "fk-missing-index", "drop-not-null", "json-column",
	"default-change-partial-writes", "fk-dropped", "enum-append-ordering",
}

// TestCorpusCoversHazards checks that every unsafe hazard row has an unsafe case, every advisory
// row a safe one, and that the version-sensitive pairs are there.
func TestCorpusCoversHazards(t *testing.T) {
	cases := loadCases(t)
	have := map[string]map[string]bool{Unsafe: {}, Safe: {}}
	versions := map[int]bool{}
	for _, c := range cases {
		for _, r := range c.Rules {
			name, _, _ := strings.Cut(r, " ")
			have[c.Label][name] = true
		}
		versions[c.Version/10000*10000] = true
	}
	for _, r := range unsafeRows {
		if !have[Unsafe][r] {
			t.Errorf("no case labelled unsafe expects %s", r)
		}
	}
	for _, r := range warningRows {
		if !have[Safe][r] {
			t.Errorf("no case labelled safe expects the advisory %s", r)
		}
	}
	for _, v := range []int{100000, 110000, 130000, 140000, 150000} {
		if !versions[v] {
			t.Errorf("no case assumes PostgreSQL %d (the version-sensitive pairs)", v/10000)
		}
	}
}
