package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

// escapingResult holds everything a workflow command must escape: a message with a newline, a
// percent sign, a comma, a colon and "::"; a CR LF in a fix; a migration file whose path has a
// comma and a colon; a title (rule name, approval) with a colon; a property-looking "a=b,c".
func escapingResult() *analysis.Result {
	return &analysis.Result{
		Safe: false, ServerVersion: 150004,
		Migrations: []analysis.MigrationResult{
			{
				Safe: false,
				Findings: []analysis.Finding{
					{
						Rule: "unbatched-dml", Severity: analysis.Unsafe, Operation: "RunSQL", Line: 9,
						Message: "UPDATE rewrites 100% of shop_order, in one transaction: rows are locked, and readers wait.\nSee ::notice:: lines below, file=a,line=1 is not a property.",
						Fix:     "Batch it:\r\nUPDATE … WHERE id BETWEEN %s AND %s, 10,000 rows at a time.",
					},
					{
						Rule: "custom:rule", Severity: analysis.Warning, Operation: "AddField", Line: 14,
						Message: "A warning, with a comma.",
					},
					{
						Rule: "drop-column", Severity: analysis.Unsafe, Operation: "RemoveField", Line: 20,
						Message:  "Dropping column \"price\" breaks the running release.",
						Fix:      "Remove it in two releases.",
						Approval: &analysis.Approval{By: analysis.ByAllowList, Entry: "shop.0002_a:b:drop-column", Reason: "unused since v41, 100% sure"},
					},
				},
				Migration: plan.Migration{
					App: "shop", Name: "0002_a:b", File: "shop,eu/migrations/0002_a:b.py", Atomic: true,
				},
			},
			{
				// No line: the annotation has a file and no line.
				Safe: false,
				Findings: []analysis.Finding{{
					Rule: analysis.SQLNotRendered, Severity: analysis.Unsafe, Operation: "AlterField",
					Message: "zdcd could not render the SQL of this operation: relation \"x\" does not exist",
				}},
				Migration: plan.Migration{App: "shop", Name: "0003_x", File: "shop,eu/migrations/0003_x.py", Atomic: true},
			},
			{
				// No file (e.g. a plan without files): no file property.
				Safe: true,
				Findings: []analysis.Finding{{
					Rule: "prefer-bigint", Severity: analysis.Warning, Operation: "CreateModel", Line: 3,
					Message: "integer keys run out",
				}},
				Migration: plan.Migration{App: "billing", Name: "0001_initial", Atomic: true},
			},
		},
	}
}

// The repository is /home/runner/work/shop/shop; the Django project is its backend/ directory.
var escapingOptions = Options{ProjectDir: "/home/runner/work/shop/shop/backend", WorkDir: "/home/runner/work/shop/shop"}

func TestGitHubGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, GitHub, escapingResult(), escapingOptions); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "escaping.github.golden"), b.Bytes())
}

// command is a workflow command as the runner reads it.
type command struct {
	name  string
	props map[string]string
	data  string
}

// parseCommand reads one line as GitHub's runner does (ActionCommand.TryParseV2): "::", the name
// up to a space, properties split at ',' and each at its first '=', "::", then the data; values
// unescaped in the runner's order, %25 last.
func parseCommand(t *testing.T, line string) command {
	t.Helper()
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "::") {
		t.Fatalf("not a workflow command: %q", line)
	}
	end := strings.Index(line[2:], "::")
	if end < 0 {
		t.Fatalf("no closing :: in %q", line)
	}
	info, data := line[2:2+end], line[2+end+2:]
	c := command{name: info, props: map[string]string{}, data: unescapeData(data)}
	if name, props, ok := strings.Cut(info, " "); ok {
		c.name = name
		for _, p := range strings.Split(props, ",") {
			if p == "" {
				continue
			}
			k, v, ok := strings.Cut(p, "=")
			if !ok {
				t.Errorf("property without '=': %q in %q", p, line)
				continue
			}
			if _, dup := c.props[k]; dup {
				t.Errorf("property %s twice in %q", k, line)
			}
			c.props[k] = unescapeProperty(v)
		}
	}
	return c
}

// unescapeData and unescapeProperty undo the escaping as the runner does: one mapping after the
// other, %25 last.
func unescapeData(s string) string {
	return unescapeSeq(s, "%0D", "\r", "%0A", "\n", "%25", "%")
}

func unescapeProperty(s string) string {
	return unescapeSeq(s, "%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")
}

func unescapeSeq(s string, pairs ...string) string {
	for i := 0; i < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return s
}

// TestGitHubRoundTrip decodes every annotation by GitHub's rules and gets the original strings
// back: level, file, line, title and message.
func TestGitHubRoundTrip(t *testing.T) {
	r := escapingResult()
	var b bytes.Buffer
	if err := Render(&b, GitHub, r, escapingOptions); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("output does not end in a newline: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	type want struct{ name, file, line, title, data string }
	var wants []want
	for _, mr := range r.Migrations {
		file := ""
		if mr.Migration.File != "" {
			file = "backend/" + mr.Migration.File
		}
		for _, f := range mr.Findings {
			w := want{name: "warning", file: file, title: f.Rule, data: f.Message}
			if f.Severity == analysis.Unsafe && f.Approval == nil {
				w.name = "error"
			}
			if f.Line > 0 {
				w.line = strconv.Itoa(f.Line)
			}
			if f.Approval != nil {
				w.title += " (approved)"
				w.data = "Approved by " + approvalText(f.Approval) + ". " + w.data
			}
			if f.Fix != "" {
				w.data += " Fix: " + f.Fix
			}
			wants = append(wants, w)
		}
	}
	wants = append(wants, want{name: "notice", data: Summary(r)})
	if len(lines) != len(wants) {
		t.Fatalf("%d lines, want %d (one per finding and a notice):\n%s", len(lines), len(wants), out)
	}
	for i, l := range lines {
		c := parseCommand(t, l)
		w := wants[i]
		got := want{name: c.name, file: c.props["file"], line: c.props["line"], title: c.props["title"], data: c.data}
		if got != w {
			t.Errorf("line %d decodes to\n%#v\nwant\n%#v\nline: %s", i, got, w, l)
		}
		for k := range c.props {
			if k != "file" && k != "line" && k != "title" {
				t.Errorf("line %d: unexpected property %q", i, k)
			}
		}
		if w.file == "" && c.props["file"] != "" || w.line == "" && c.props["line"] != "" {
			t.Errorf("line %d: file or line present though unknown: %s", i, l)
		}
	}
}

// Escaping and unescaping are inverses on strings that hold every special character, in every
// order, including ones that look escaped already ("%0A", "%253A").
func TestGitHubEscapeRoundTrip(t *testing.T) {
	for _, s := range []string{
		"", "plain", "100%", "%", "%%", "%25", "%0A", "%253A", "a\nb\r\nc", "a:b,c", "::error::x",
		"C:\\dir,x%0D\n%", "title=x,line=3", "50%\n, done: ok",
	} {
		if got := unescapeData(escapeData(s)); got != s {
			t.Errorf("data %q: round trip gives %q", s, got)
		}
		if got := unescapeProperty(escapeProperty(s)); got != s {
			t.Errorf("property %q: round trip gives %q", s, got)
		}
		if e := escapeData(s); strings.ContainsAny(e, "\r\n") {
			t.Errorf("escaped data %q holds a CR or LF", e)
		}
		if e := escapeProperty(s); strings.ContainsAny(e, "\r\n:,") {
			t.Errorf("escaped property %q holds a CR, LF, ':' or ','", e)
		}
	}
}

func TestRepoRoot(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		wd      string
		want    string
	}{
		{"not in GitHub Actions", []string{"HOME=/root"}, "/src/app", "/src/app"},
		{"workspace", []string{"GITHUB_WORKSPACE=/home/runner/work/shop/shop"}, "/home/runner/work/shop/shop/backend", "/home/runner/work/shop/shop"},
		{"workspace cleaned", []string{"GITHUB_WORKSPACE=/home/runner/work/shop/shop/"}, "/x", "/home/runner/work/shop/shop"},
		{"empty workspace", []string{"GITHUB_WORKSPACE="}, "/src/app", "/src/app"},
		{"relative workspace", []string{"GITHUB_WORKSPACE=shop"}, "/src/app", "/src/app"},
		{"the first wins", []string{"GITHUB_WORKSPACE=/a", "GITHUB_WORKSPACE=/b"}, "/x", "/a"},
		{"a longer name is another variable", []string{"GITHUB_WORKSPACE_X=/a"}, "/x", "/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RepoRoot(tt.environ, tt.wd); got != tt.want {
				t.Errorf("RepoRoot = %q, want %q", got, tt.want)
			}
		})
	}
}

// A step with working-directory: backend and --project-dir . still annotates repository paths
// when the caller passes the absolute project directory and RepoRoot.
func TestGitHubWorkingDirectoryBelowRepo(t *testing.T) {
	wd := "/home/runner/work/shop/shop/backend"
	o := Options{ProjectDir: filepath.Join(wd, "."), WorkDir: RepoRoot([]string{"GITHUB_WORKSPACE=/home/runner/work/shop/shop"}, wd)}
	r := &analysis.Result{Migrations: []analysis.MigrationResult{{
		Findings:  []analysis.Finding{{Rule: "drop-column", Severity: analysis.Unsafe, Line: 7, Message: "m"}},
		Migration: plan.Migration{App: "shop", Name: "0002_x", File: "shop/migrations/0002_x.py"},
	}}}
	var b bytes.Buffer
	if err := Render(&b, GitHub, r, o); err != nil {
		t.Fatal(err)
	}
	if want := "::error file=backend/shop/migrations/0002_x.py,line=7,title=drop-column::m\n"; !strings.HasPrefix(b.String(), want) {
		t.Errorf("got %q, want prefix %q", b.String(), want)
	}
}

// docs/github-actions.md shows the example workflow verbatim, so the two cannot drift apart.
func TestGitHubActionsDocShowsExample(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "zdcd.yml"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "github-actions.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, append(append([]byte("```yaml\n"), example...), "```\n"...)) {
		t.Errorf("docs/github-actions.md must show docs/examples/zdcd.yml verbatim in a ```yaml block")
	}
	for _, want := range []string{"--format github", "--since \"origin/$GITHUB_BASE_REF\"", "fetch-depth: 0", "zdcd-release check --format github"} {
		if !bytes.Contains(example, []byte(want)) {
			t.Errorf("docs/examples/zdcd.yml lacks %q", want)
		}
	}
}
