package django

import (
	"testing"
)

// Whatever the helper prints, decoding it never panics, and a plan that decodes can be digested
// and keyed (what the release and the ledger do with it next).
func FuzzDecodePlan(f *testing.F) {
	for _, s := range []string{
		`{"django_version":"3.2","migrations":[{"app":"shop","name":"0002_x","atomic":true,"operations":[{"class":"AddField","sql":[{"sql":"ALTER TABLE t ADD COLUMN c int"}],"new_field":{"name":"c","default":{"repr":"django.utils.timezone.now","callable":true}}}]}]}`,
		`{"migrations":[{"operations":[{"class":"SeparateDatabaseAndState","database_operations":[{"class":"RunSQL","sql":[{"sql":"SELECT 1"}]}]}]}]}`,
		`{"migrations":[{"operations":[{"class":"RunPython","python":{"function":"m.f","source_sha256":"ab"}}]}]}`,
		`{"applied":[["shop","0004_x"]],"ahead":[{"app":"shop","name":"0004_x","app_installed":true,"after_code":true}],"migrations":[]}`,
		`{}`, `[]`, `{"migrations":null}`, `not json`,
	} {
		f.Add([]byte(s))
	}
	src := &Source{}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := src.decode(data, &scrubber{})
		if err != nil {
			return
		}
		for i := range p.Migrations {
			_ = p.Migrations[i].Digest()
			_ = p.Migrations[i].Key()
		}
	})
}
