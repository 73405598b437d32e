// Package corpus scores zdcd against a labelled corpus of migrations (README.md): raw SQL cases
// judged in process by the analysis with every rule, and Django cases judged by the real
// zdcd-release binary against a throwaway PostgreSQL and Django. Recall of `unsafe` must be 100%
// and precision at least 95%.
package corpus

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/analysis/rules"
	"github.com/zdcd/zdcd/internal/testenv"
)

// Required score.
const (
	wantRecall    = 1.00
	wantPrecision = 0.95
)

// binary is the zdcd-release built for this test run.
var binary string

func TestMain(m *testing.M) { testenv.MainWithBinary(m, &binary) }

// Verdict is zdcd's judgement of one case.
type Verdict struct {
	Safe     bool
	Findings []Finding
}

// Finding is what the report says, enough to explain a miss.
type Finding struct {
	Rule, Severity, Statement, Message string
}

// TestCorpus judges every case and scores the verdicts against the labels.
func TestCorpus(t *testing.T) {
	t.Parallel()
	cases := loadCases(t)

	start := time.Now()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, schemaDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	verdicts := judgeSQL(t, cases, openCatalog(ctx, conn))
	t.Logf("SQL: judged in process in %s", time.Since(start).Round(time.Millisecond))
	for file, v := range judgeDjango(t, cases) {
		verdicts[file] = v
	}

	s := score(cases, verdicts)
	t.Logf("corpus: %d cases; %s", len(cases), s.expectedRulesReport())
	t.Log("\n" + s.table())
	misses := s.misses()
	if misses != "" {
		t.Log("\n" + misses)
	}
	// For the rule writers: the score of the specific rules alone, with the catch-all baseline
	// ignored (it blocks whatever it does not know, so it hides gaps in recall).
	sharp := score(cases, without(verdicts, baselineRule))
	t.Logf("informational, ignoring %s: recall %s, precision %s; missed without it: %s",
		baselineRule, pct(sharp.all.tp, sharp.all.tp+sharp.all.fn), pct(sharp.all.tp, sharp.all.tp+sharp.all.fp), files(sharp.fn))
	if m := sharp.misses(); m != "" && misses != "" {
		t.Logf("informational, the misses ignoring %s:\n%s", baselineRule, m)
	}
	if s.recall() < wantRecall || s.precision() < wantPrecision {
		t.Errorf("recall %s (want %.0f%%), precision %s (want at least %.0f%%): see the misses above",
			pct(s.all.tp, s.all.tp+s.all.fn), wantRecall*100, pct(s.all.tp, s.all.tp+s.all.fp), wantPrecision*100)
	}
}

// expectedRulesReport says how many of the rules the cases expect fired on them, and names the
// expected rules zdcd does not have (informational: the score is on the labels).
func (s *scored) expectedRulesReport() string {
	expected, fired := 0, 0
	unknown := map[string]bool{}
	for _, c := range s.cases {
		got := map[string]bool{}
		for _, f := range s.verdicts[c.File].Findings {
			got[f.Rule] = true
		}
		for _, r := range c.Rules {
			name, _, _ := strings.Cut(r, " ")
			expected++
			if got[name] {
				fired++
			}
			if _, ok := rules.ByName(name); !ok {
				unknown[name] = true
			}
		}
	}
	var names []string
	for n := range unknown {
		names = append(names, n)
	}
	sort.Strings(names)
	msg := fmt.Sprintf("expected rules that fired: %s", pct(fired, expected))
	if len(names) > 0 {
		msg += "; expected rules zdcd does not have: " + strings.Join(names, ", ")
	}
	return msg
}

// baselineRule is the catch-all allowlist inherited from django-zerodowntime.
const baselineRule = "operation-not-allowlisted"

// without recomputes the verdicts as if rule did not exist.
func without(verdicts map[string]Verdict, rule string) map[string]Verdict {
	out := make(map[string]Verdict, len(verdicts))
	for k, v := range verdicts {
		nv := Verdict{Safe: true}
		for _, f := range v.Findings {
			if f.Rule == rule {
				continue
			}
			nv.Findings = append(nv.Findings, f)
			if f.Severity == "unsafe" {
				nv.Safe = false
			}
		}
		out[k] = nv
	}
	return out
}

func files(cases []*Case) string {
	if len(cases) == 0 {
		return "none"
	}
	var names []string
	for _, c := range cases {
		names = append(names, c.File)
	}
	return strings.Join(names, ", ")
}

// confusion counts verdicts against labels: tp unsafe judged unsafe, fn unsafe judged safe, fp
// safe judged unsafe, tn safe judged safe.
type confusion struct{ tp, fn, fp, tn int }

func (c *confusion) add(unsafe, judgedUnsafe bool) {
	switch {
	case unsafe && judgedUnsafe:
		c.tp++
	case unsafe:
		c.fn++
	case judgedUnsafe:
		c.fp++
	default:
		c.tn++
	}
}

type scored struct {
	cases       []*Case
	verdicts    map[string]Verdict
	sql, django confusion
	all         confusion
	fn, fp      []*Case
}

func score(cases []*Case, verdicts map[string]Verdict) *scored {
	s := &scored{cases: cases, verdicts: verdicts}
	for _, c := range cases {
		v, ok := verdicts[c.File]
		judgedUnsafe := !v.Safe
		if !ok {
			judgedUnsafe = !c.Unsafe() // a case zdcd did not judge counts as a miss either way
		}
		k := &s.sql
		if c.Kind == KindDjango {
			k = &s.django
		}
		k.add(c.Unsafe(), judgedUnsafe)
		s.all.add(c.Unsafe(), judgedUnsafe)
		if c.Unsafe() && !judgedUnsafe {
			s.fn = append(s.fn, c)
		}
		if !c.Unsafe() && judgedUnsafe {
			s.fp = append(s.fp, c)
		}
	}
	return s
}

func (s *scored) recall() float64 {
	if s.all.tp+s.all.fn == 0 {
		return 0
	}
	return float64(s.all.tp) / float64(s.all.tp+s.all.fn)
}

func (s *scored) precision() float64 {
	if s.all.tp+s.all.fp == 0 {
		return 0
	}
	return float64(s.all.tp) / float64(s.all.tp+s.all.fp)
}

func pct(n, d int) string {
	if d == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*float64(n)/float64(d), n, d)
}

// table is the score table the README quotes.
func (s *scored) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| cases | unsafe | safe | caught (unsafe → unsafe) | missed (unsafe → safe) | false alarms (safe → unsafe) | passed (safe → safe) | recall | precision |\n")
	fmt.Fprintf(&b, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	row := func(name string, c confusion) {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %s | %s |\n", name, c.tp+c.fn, c.fp+c.tn, c.tp, c.fn, c.fp, c.tn,
			pct(c.tp, c.tp+c.fn), pct(c.tp, c.tp+c.fp))
	}
	row(fmt.Sprintf("SQL (%d)", s.sql.tp+s.sql.fn+s.sql.fp+s.sql.tn), s.sql)
	row(fmt.Sprintf("Django (%d)", s.django.tp+s.django.fn+s.django.fp+s.django.tn), s.django)
	row(fmt.Sprintf("all (%d)", len(s.cases)), s.all)
	return b.String()
}

// misses lists every case zdcd got wrong, false negatives first, with the label's rationale and
// what zdcd said.
func (s *scored) misses() string {
	var b strings.Builder
	list := func(title string, cases []*Case) {
		if len(cases) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (%d):\n", title, len(cases))
		for _, c := range cases {
			fmt.Fprintf(&b, "- %s [%s, PG %d", c.File, c.Label, c.Version)
			if len(c.Rules) > 0 {
				fmt.Fprintf(&b, ", expected rules: %s", strings.Join(c.Rules, ", "))
			}
			fmt.Fprintf(&b, "]\n    why: %s\n", c.Why)
			v, ok := s.verdicts[c.File]
			switch {
			case !ok:
				b.WriteString("    zdcd: no verdict (the case is missing from the report)\n")
			case len(v.Findings) == 0:
				b.WriteString("    zdcd: no findings\n")
			default:
				for _, f := range v.Findings {
					fmt.Fprintf(&b, "    zdcd: %s (%s): %s\n", f.Rule, f.Severity, oneLine(f.Message, 220))
				}
			}
		}
	}
	list("FALSE NEGATIVES: labelled unsafe, judged safe", s.fn)
	list("FALSE POSITIVES: labelled safe, judged unsafe", s.fp)
	return b.String()
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
