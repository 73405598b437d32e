package report

import (
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
)

// The github format: one workflow command per finding, then one summary notice.
//
//	::error file=shop/migrations/0007_remove_price.py,line=12,title=remove-field::<message> Fix: <fix>
//	::warning file=...,line=...,title=<rule>::<message> Fix: <fix>
//	::notice::3 pending migrations, 1 unsafe: release refused
//
// Unsafe findings are errors, warnings are warnings; a migration without findings gets no
// annotation. An applied migration the code lacks that refuses the release (schema ahead of
// code) is an error without file or line. Data is escaped (% CR LF), property values also ':' and ',' — GitHub's rules, which
// the round-trip test decodes. line is left out when unknown, file when the migration has none;
// there is no endLine or col: a finding knows only its operation's first line.
func renderGitHub(w io.Writer, r *analysis.Result, o Options) error {
	var b strings.Builder
	for _, mr := range r.Migrations {
		path := ""
		if mr.Migration.File != "" {
			path = annotationPath(mr.Migration.File, o)
		}
		for _, f := range mr.Findings {
			level := "warning"
			if f.Severity == analysis.Unsafe && f.Approval == nil {
				level = "error"
			}
			var props []string
			if path != "" {
				props = append(props, "file="+escapeProperty(path))
			}
			if f.Line > 0 {
				props = append(props, "line="+strconv.Itoa(f.Line))
			}
			title := f.Rule
			msg := f.Message
			if a := f.Approval; a != nil {
				title += " (approved)"
				msg = "Approved by " + approvalText(a) + ". " + msg
			}
			props = append(props, "title="+escapeProperty(title))
			if f.Fix != "" {
				msg += " Fix: " + f.Fix
			}
			b.WriteString("::" + level + " " + strings.Join(props, ",") + "::" + escapeData(msg) + "\n")
		}
	}
	// An applied migration the code lacks has no file in this code: a plain annotation.
	for _, a := range r.Ahead {
		if !a.Blocks() {
			continue
		}
		var rules []string
		for _, f := range a.Findings {
			rules = append(rules, f.Rule)
		}
		by := ""
		if a.AppliedByRelease > 0 {
			by = " by v" + strconv.Itoa(a.AppliedByRelease)
		}
		msg := a.Key().String() + " was applied" + by + " and this code does not contain it; the ledger recorded " +
			strings.Join(rules, ", ") + ": older code cannot run on that schema, the release is refused. `zdcd-release rollback --to vN` restores the backup taken before it (docs/release.md)."
		b.WriteString("::error title=" + escapeProperty("schema ahead of code") + "::" + escapeData(msg) + "\n")
	}
	b.WriteString("::notice::" + escapeData(Summary(r)) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// RepoRoot is the directory to pass as Options.WorkDir for the github format: in GitHub Actions
// (GITHUB_WORKSPACE set in environ, an absolute path) the workspace, where actions/checkout puts the
// repository, so that annotation paths are repository-relative whatever the step's
// working-directory; elsewhere wd. Options.ProjectDir must then be absolute (or relative to the
// root), not relative to wd.
func RepoRoot(environ []string, wd string) string {
	for _, kv := range environ { // the first wins, as with os.Getenv
		if v, ok := strings.CutPrefix(kv, "GITHUB_WORKSPACE="); ok {
			if filepath.IsAbs(v) {
				return filepath.Clean(v)
			}
			break
		}
	}
	return wd
}

// annotationPath joins a migration's file to the project directory and makes it relative to the
// working directory when it lies inside it; otherwise it stays as joined. Slashes are forward.
func annotationPath(file string, o Options) string {
	p := filepath.FromSlash(file)
	if !filepath.IsAbs(p) && o.ProjectDir != "" {
		p = filepath.Join(o.ProjectDir, p)
	}
	if o.WorkDir != "" && filepath.IsAbs(p) == filepath.IsAbs(o.WorkDir) {
		if rel, err := filepath.Rel(o.WorkDir, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			p = rel
		}
	}
	return filepath.ToSlash(filepath.Clean(p))
}

// escapeData escapes a workflow command's message: %, CR and LF.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value: as data, plus ':' and ','.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
