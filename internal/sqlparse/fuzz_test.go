package sqlparse

import (
	"strings"
	"testing"
)

// FuzzParse: any input either fails with a ParseError or yields statements whose text is a slice
// of the input at the offset and line they claim. Never a panic.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"ALTER TABLE t ADD COLUMN c int DEFAULT random() NOT NULL",
		"CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a); DROP INDEX CONCURRENTLY i;",
		"-- zdcd:allow drop-column: reviewed\nALTER TABLE t DROP COLUMN c",
		"/* c */ BEGIN; LOCK TABLE t; COMMIT;",
		"ALTER TABLE t ALTER COLUMN c TYPE varchar(20) USING c::varchar, ADD CONSTRAINT k CHECK (c <> '') NOT VALID",
		"ALTER TYPE e ADD VALUE 'x' BEFORE 'y'; ALTER TYPE e RENAME VALUE 'a' TO 'b'",
		"VACUUM (FULL) t; CLUSTER t; REINDEX TABLE CONCURRENTLY t; TRUNCATE t CASCADE",
		"CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1); ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY",
		"SELECT 'unterminated",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		s, err := Parse(sql)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		for _, st := range s.Statements {
			b := st.Info()
			if b.Offset < 0 || b.Offset+len(b.Text) > len(sql) || sql[b.Offset:b.Offset+len(b.Text)] != b.Text {
				t.Fatalf("statement text %q not at offset %d of %q", b.Text, b.Offset, sql)
			}
			if b.Line != 1+strings.Count(sql[:b.Offset], "\n") {
				t.Fatalf("line %d wrong for offset %d", b.Line, b.Offset)
			}
			if b.Tag == "" {
				t.Fatalf("statement %q has no tag", b.Text)
			}
		}
	})
}
