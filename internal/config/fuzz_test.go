package config

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// A database URL never panics the parser, an error never quotes the input, and no printed form of
// a parsed URL carries its password.
func FuzzParseDatabaseURL(f *testing.F) {
	for _, s := range []string{
		"postgres://user:s3cret-pw@host:5432/db?sslmode=require",
		"postgresql://u:p%40ss@[2001:db8::1]:5432/db",
		"postgres:///db?host=/var/run/postgresql&password=hunter2",
		"postgres://u:p@h:99999/d", "mysql://u:p@h/d", "", "postgres://%zz@h/d", "postgres://u:p@h/d?sslpassword=x",
		"postgres://u:p@h/d?options=-c%20statement_timeout%3D30000", "postgres://%2Fvar%2Frun%2Fpostgresql/db",
		"postgres://u:p@h/d?options=-c+x", "postgres://u:p@h/d?ssl=true&keepalives=1", "postgres://u@[::1%25lo]:5432/d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseDatabaseURL(s)
		if err != nil {
			if pw := passwordPart(s); len(pw) >= 6 && strings.Contains(err.Error(), pw) {
				t.Fatalf("the error quotes the password: %v", err)
			}
			return
		}
		// What zdcd hands pgx and the children parses back to the same meaning.
		again, err := ParseDatabaseURL(u.ConnString())
		if err != nil {
			t.Fatalf("ConnString of %q does not parse: %v", s, err)
		}
		if again.ConnString() != u.ConnString() {
			t.Fatalf("ConnString does not round-trip: %q then %q", u.ConnString(), again.ConnString())
		}
		pw := u.Password.Reveal()
		if len(pw) < 6 || strings.Count(strings.ToLower(s), strings.ToLower(pw)) > 1 {
			// Too short to search for, or also spelled elsewhere in the URL (host, parameters):
			// finding it in the output would prove nothing.
			return
		}
		for _, out := range []string{u.String(), fmt.Sprintf("%v", u), fmt.Sprintf("%+v", u), fmt.Sprintf("%#v", u)} {
			if strings.Contains(out, pw) {
				t.Fatalf("a printed form carries the password: %q", out)
			}
		}
	})
}

// An approval entry and a nightly window never panic their parsers; what parses prints back to
// something that parses the same.
func FuzzParseAllowAndWindow(f *testing.F) {
	for _, s := range []string{"shop.0007_remove_price:remove-field", "a.b", "x", ".:", "02:00-05:00 Europe/Paris", "23:30-01:00 UTC", "25:00-01:00 Mars/Base"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, err := ParseAllow(s); err == nil {
			again, err := ParseAllow(a.String())
			if err != nil || again != a {
				t.Fatalf("ParseAllow(%q) = %+v, but its String %q parses to %+v, %v", s, a, a.String(), again, err)
			}
		}
		if w, err := ParseWindow(s); err == nil && utf8.ValidString(s) {
			again, err := ParseWindow(w.String())
			if err != nil || again.String() != w.String() {
				t.Fatalf("ParseWindow(%q) = %s, which parses back to %v, %v", s, w, again, err)
			}
		}
	})
}

// passwordPart is what a URL's password would be: between the first ':' after "//" and the last
// '@' (whether or not the URL parses).
func passwordPart(s string) string {
	_, rest, ok := strings.Cut(s, "//")
	if !ok {
		return ""
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	if !ok {
		return ""
	}
	return pw
}

// A secret, in each encoding a URL, Python's repr or JSON gives it, is gone from the redacted text.
func FuzzRedactor(f *testing.F) {
	for _, s := range []string{"9f86d081884c7d659a2feaa0c55ad015", `p@ss:w/rd%?#&'"\`, "pa'ss word+plus", "ünïcødé-pässwörd", "a\tb\nc\x01d1234"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, secret string) {
		if !utf8.ValidString(secret) || utf8.RuneCountInString(secret) < MinSecretLen || strings.Contains(secret, "*") {
			return
		}
		r := NewRedactor(secret)
		js, _ := json.Marshal(secret)
		for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret), strings.TrimPrefix(url.UserPassword("", secret).String(), ":"), string(js)} {
			if got := r.Redact("<" + form + ">"); strings.Contains(got, secret) || !strings.Contains(got, Redacted) {
				t.Fatalf("Redact(%q) = %q", form, got)
			}
		}
	})
}
