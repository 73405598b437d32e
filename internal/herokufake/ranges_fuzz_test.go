package herokufake

import "testing"

// A Range header never panics the parser, and what it accepts is a page the server can serve:
// a field, and a page size between 1 and the maximum.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"", "version ..; max=10, order=desc", "id ]abc..; max=1000", "name a..z", "..", "version 1..5; order=asc", "; max=0", "id ..; max=-1, order=sideways"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		lr, err := parseRange(h, "id")
		if err != nil {
			return
		}
		if lr.field == "" || lr.max < 1 || lr.max > maxPageSize {
			t.Fatalf("parseRange(%q) = %+v", h, lr)
		}
	})
}
