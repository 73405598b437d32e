package trace

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
)

// comparison builds one statement's TableResults from its claims and two snapshots.
type comparison struct {
	before, after *snapshot
	byOID         map[uint32]*TableResult
	claimed       []*TableResult // in claim order
	others        []*TableResult
	// exists is the table's relation before the statement (nil for claims that resolve to nothing).
	exists map[*TableResult]*rel
}

// lookup finds a relation by OID, as it was before the statement when it existed then (so a
// renamed or dropped table keeps the name the statement used).
func (c *comparison) lookup(oid uint32) *rel {
	if r := c.before.rels[oid]; r != nil {
		return r
	}
	return c.after.rels[oid]
}

// tableOf follows an index, TOAST table or owned sequence to the table it belongs to; nil for a
// relation that belongs to no table (a standalone sequence).
func (c *comparison) tableOf(r *rel) *rel {
	for i := 0; i < 4 && r != nil; i++ {
		if r.tableLike() {
			return r
		}
		if r.owner == 0 {
			return nil
		}
		r = c.lookup(r.owner)
	}
	return nil
}

// resolve finds the relation a claim names ("name" through search_path, or "schema.name") as it
// was before the statement.
func resolve(name string, s *snapshot) *rel {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		schema, n := name[:i], name[i+1:]
		for _, r := range s.rels {
			if r.schema == schema && r.name == n {
				return r
			}
		}
	}
	for _, r := range s.rels {
		if r.name == name && r.visible {
			return r
		}
	}
	return nil
}

func (c *comparison) table(t *rel, claimed bool) *TableResult {
	if tr := c.byOID[t.oid]; tr != nil {
		return tr
	}
	tr := &TableResult{Table: t.display(), Verdict: VerdictOK, Observed: Observed{Locks: []string{}, RebuiltIndexes: []string{}}, Mismatches: []string{}, Notes: []string{}}
	c.byOID[t.oid] = tr
	c.exists[tr] = c.before.rels[t.oid]
	if claimed {
		c.claimed = append(c.claimed, tr)
	} else {
		c.others = append(c.others, tr)
	}
	return tr
}

func maxLock(a Lock, b analysis.LockMode) Lock {
	if Lock(b) > a {
		return Lock(b)
	}
	return a
}

// compare fills sr.Tables. inherited are the locks held when the statement's migration began.
func compare(sr *StatementResult, claims []analysis.Effect, before, after *snapshot, scansObservable bool, inherited map[lockKey]bool) {
	c := &comparison{before: before, after: after, byOID: map[uint32]*TableResult{}, exists: map[*TableResult]*rel{}}
	var unresolved []*TableResult

	// What the rules were told.
	for _, e := range claims {
		r := resolve(e.Table, before)
		var t *rel
		if r != nil {
			t = c.tableOf(r)
		}
		if t == nil {
			tr := &TableResult{Table: e.Table, Verdict: VerdictUnobservable, Claimed: &Claim{Mode: Lock(e.Mode), Rewrite: e.Rewrite, Scan: e.Scan},
				Observed: Observed{Locks: []string{}, RebuiltIndexes: []string{}}, Mismatches: []string{},
				Notes: []string{"no table of that name existed before the statement: nothing to compare"}}
			unresolved = append(unresolved, tr)
			continue
		}
		tr := c.table(t, true)
		if tr.Claimed == nil {
			tr.Claimed = &Claim{}
		}
		tr.Claimed.Mode = maxLock(tr.Claimed.Mode, e.Mode)
		tr.Claimed.Rewrite = tr.Claimed.Rewrite || e.Rewrite
		tr.Claimed.Scan = tr.Claimed.Scan || e.Scan
		if r != t {
			tr.Notes = append(tr.Notes, fmt.Sprintf("claimed as %s %s", r.kindName(), r.display()))
		}
	}

	// Locks the transaction held before the statement, by table.
	held := map[uint32]map[analysis.LockMode]bool{}
	earlier := map[uint32]map[analysis.LockMode]bool{}
	for k := range before.locks {
		if t := c.tableOf(before.rels[k.oid]); t != nil {
			addMode(held, t.oid, k.mode)
			if inherited[k] {
				addMode(earlier, t.oid, k.mode)
			}
		}
	}

	// Locks the statement took.
	keys := make([]lockKey, 0, len(after.locks))
	for k := range after.locks {
		if !before.locks[k] {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].oid != keys[j].oid {
			return keys[i].oid < keys[j].oid
		}
		return keys[i].mode > keys[j].mode
	})
	for _, k := range keys {
		r := c.lookup(k.oid)
		switch {
		case r == nil && k.oid >= firstUserOID:
			sr.Transient++ // created and dropped within the statement
			continue
		case r == nil:
			continue // a system catalog
		case before.rels[k.oid] == nil:
			continue // created by the statement: invisible to other sessions until commit
		}
		t := c.tableOf(r)
		if t == nil {
			continue // a standalone sequence: not a table
		}
		tr := c.table(t, false)
		tr.Observed.Mode = maxLock(tr.Observed.Mode, k.mode)
		where := "the table"
		if r != t {
			where = r.kindName() + " " + r.display()
		}
		tr.Observed.Locks = append(tr.Observed.Locks, k.mode.String()+" on "+where)
	}

	// Rewrites: a new relfilenode.
	oids := make([]uint32, 0, len(before.rels))
	for oid := range before.rels {
		oids = append(oids, oid)
	}
	sort.Slice(oids, func(i, j int) bool { return oids[i] < oids[j] })
	for _, oid := range oids {
		b, a := before.rels[oid], after.rels[oid]
		if a == nil || b.filenode == 0 || a.filenode == b.filenode {
			continue
		}
		switch {
		case b.tableLike():
			c.table(b, false).Observed.Rewrite = true
		case b.kind == "i" || b.kind == "I":
			if t := c.tableOf(b); t != nil {
				tr := c.table(t, false)
				tr.Observed.RebuiltIndexes = append(tr.Observed.RebuiltIndexes, b.display())
			}
		}
	}

	// Scans.
	for _, oid := range oids {
		b, a := before.rels[oid], after.rels[oid]
		if a == nil || a.scans <= b.scans {
			continue
		}
		d := a.scans - b.scans
		switch {
		case b.tableLike():
			c.table(b, false).Observed.SeqScans += d
		case b.kind == "i" || b.kind == "I":
			if t := c.tableOf(b); t != nil {
				o := &c.table(t, false).Observed
				o.IdxScans += d
				o.IdxRows += a.read - b.read
			}
		}
	}
	for _, tr := range c.byOID {
		if b := c.exists[tr]; b != nil {
			o := &tr.Observed
			o.Rows = b.rows
			o.Scan = o.SeqScans > 0 || (o.Rows > 0 && o.IdxRows >= o.Rows)
		}
	}

	sort.SliceStable(c.others, func(i, j int) bool { return c.others[i].Table < c.others[j].Table })
	for _, tr := range append(append([]*TableResult{}, c.claimed...), c.others...) {
		b := c.exists[tr]
		var a *rel
		if b != nil {
			a = after.rels[b.oid]
			tr.Observed.Held = modes(held[b.oid])
			tr.Observed.FromEarlier = modes(earlier[b.oid])
		}
		tr.Observed.RewriteObservable = b != nil && a != nil && b.filenode != 0 && a.filenode != 0
		judge(tr, b, a, scansObservable)
		sr.Tables = append(sr.Tables, *tr)
	}
	for _, tr := range unresolved {
		sr.Tables = append(sr.Tables, *tr)
	}
}

// judge compares one table's claim and observation.
func judge(tr *TableResult, before, after *rel, scansObservable bool) {
	verdict(tr, before, after, scansObservable)
	if len(tr.Mismatches) > 0 {
		tr.Verdict = VerdictMismatch
	}
}

func verdict(tr *TableResult, before, after *rel, scansObservable bool) {
	tr.Verdict = VerdictOK
	o := &tr.Observed
	if tr.Claimed == nil {
		// A statement locks more than the tables it changes: the tables a query reads (ACCESS
		// SHARE), a foreign key's target it checks (ROW SHARE), a table a trigger writes (ROW
		// EXCLUSIVE), the object of a COMMENT (SHARE UPDATE EXCLUSIVE). The rules judge what
		// blocks the application's traffic; a lock weaker than SHARE conflicts with no SELECT,
		// INSERT, UPDATE or DELETE, only with maintenance and DDL. It is shown, not counted. A
		// lock that blocks writes, or a rewrite, is a claim missing from the model.
		switch {
		case analysis.LockMode(o.Mode).BlocksWrites():
			tr.Mismatches = append(tr.Mismatches, fmt.Sprintf("lock: not claimed, the server took %s", o.Mode))
		case o.Mode > Lock(analysis.NoLock):
			tr.Verdict = VerdictUnclaimed
			tr.Notes = append(tr.Notes, fmt.Sprintf("not claimed: %s blocks no application query (SELECT, INSERT, UPDATE, DELETE), only maintenance and DDL", o.Mode))
		}
		if o.Rewrite {
			tr.Mismatches = append(tr.Mismatches, "rewrite: not claimed, the server rewrote the table")
		}
		return
	}
	k := tr.Claimed
	switch {
	case o.Mode == k.Mode:
	case o.Mode < k.Mode && hasLock(o.Held, k.Mode):
		if hasLock(o.FromEarlier, k.Mode) {
			tr.Verdict = VerdictUnobservable
			tr.Notes = append(tr.Notes, fmt.Sprintf("not observable here: an earlier migration of this trace already took %s, and a mode the transaction holds is not taken again; in production that migration has committed, so this statement takes it afresh", k.Mode))
		} else {
			tr.Notes = append(tr.Notes, fmt.Sprintf("an earlier statement of this migration already took %s: this one needs no new lock, as in production", k.Mode))
		}
	default:
		tr.Mismatches = append(tr.Mismatches, fmt.Sprintf("lock: claimed %s, the server took %s", k.Mode, o.Mode))
	}
	if o.RewriteObservable {
		if k.Rewrite != o.Rewrite {
			tr.Mismatches = append(tr.Mismatches, fmt.Sprintf("rewrite: claimed %v, the server %s", k.Rewrite, did(o.Rewrite, "rewrote the table", "did not rewrite it")))
		}
	} else if k.Rewrite && before != nil && after != nil {
		tr.Notes = append(tr.Notes, "rewrite: not observable (the relation has no storage of its own)")
	}
	// A rewrite reads the table (or, for TRUNCATE, throws it away): its scan is implied, not
	// claimed. Otherwise the claim of a scan is compared with seq_scan.
	if scansObservable && before != nil && after != nil && before.filenode != 0 && !k.Rewrite && !o.Rewrite {
		if k.Scan != o.Scan {
			how := "read the table whole (seq_scan)"
			if o.SeqScans == 0 {
				how = fmt.Sprintf("read the table whole through its indexes (%d entries, %d rows)", o.IdxRows, o.Rows)
			}
			tr.Mismatches = append(tr.Mismatches, fmt.Sprintf("scan: claimed %v, the server %s", k.Scan, did(o.Scan, how, "did not read it whole")))
		}
	}
}

func did(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func addMode(m map[uint32]map[analysis.LockMode]bool, oid uint32, mode analysis.LockMode) {
	if m[oid] == nil {
		m[oid] = map[analysis.LockMode]bool{}
	}
	m[oid][mode] = true
}

// modes lists a set of modes, strongest first; never nil.
func modes(set map[analysis.LockMode]bool) []Lock {
	out := []Lock{}
	for m := analysis.AccessExclusive; m > analysis.NoLock; m-- {
		if set[m] {
			out = append(out, Lock(m))
		}
	}
	return out
}

func hasLock(ls []Lock, m Lock) bool {
	for _, l := range ls {
		if l == m {
			return true
		}
	}
	return false
}
