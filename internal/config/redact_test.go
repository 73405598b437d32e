package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// pyRepr is Python's repr of a str holding printable ASCII: single quotes unless the text holds
// a single quote and no double quote; backslashes and the chosen quote escaped.
func pyRepr(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, q, `\`+q)
	return q + s + q
}

func TestRedactorEncodings(t *testing.T) {
	heroku := "p3c1f0a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170654321"[:64]
	secrets := []string{
		heroku,
		`p@ss:w/rd%?#&'"\`,
		`pa'ss word+plus`,
		"ünïcødé-pässwörd",
	}
	for _, pw := range secrets {
		t.Run(pw, func(t *testing.T) {
			r := NewRedactor(pw)
			js, _ := json.Marshal(pw)
			userinfo := strings.TrimPrefix(url.UserPassword("", pw).String(), ":")
			forms := map[string]string{
				"raw":          pw,
				"query":        url.QueryEscape(pw),
				"path":         url.PathEscape(pw),
				"userinfo":     userinfo,
				"query lower":  lowerHex(url.QueryEscape(pw)),
				"path lower":   lowerHex(url.PathEscape(pw)),
				"all encoded":  allEncoded(pw),
				"python repr":  pyRepr(pw),
				"python dict":  fmt.Sprintf("{'default': {'PASSWORD': %s}}", pyRepr(pw)),
				"json":         string(js),
				"json of json": mustJSON(string(js)),
				"url":          "postgres://user:" + userinfo + "@db.example.com:5432/app",
				"url in repr":  pyRepr("postgres://user:" + userinfo + "@host/db"),
				"ascii json":   asciiJSON(pw),
				"go quoted":    fmt.Sprintf("%q", pw),
				"kv":           "password=" + pw + " host=x",
			}
			for name, form := range forms {
				text := "before " + form + " after"
				got := r.Redact(text)
				if strings.Contains(got, pw) || (len(form) > 0 && strings.Contains(got, form)) {
					t.Errorf("%s: %q not redacted: %q", name, form, got)
				}
				if !strings.Contains(got, Redacted) || !strings.HasPrefix(got, "before ") || !strings.HasSuffix(got, " after") {
					t.Errorf("%s: redacted too much or nothing: %q", name, got)
				}
			}
		})
	}
}

func TestRedactorLeavesOtherText(t *testing.T) {
	r := NewRedactor("s3cr3t-value", "abc", "")
	in := "Applying shop.0002_add_price... OK abc"
	if got := r.Redact(in); got != in {
		t.Errorf("Redact(%q) = %q", in, got)
	}
	var nilR *Redactor
	if got := nilR.Redact(in); got != in {
		t.Errorf("nil Redactor changed the text: %q", got)
	}
}

func TestRedactorFromEnv(t *testing.T) {
	env := []string{
		"DATABASE_URL=postgres://u:db%2Fsecret%40@h:5432/d",
		"HEROKU_POSTGRESQL_RED_URL=postgresql://u2:another-secret@h2/d2?sslpassword=key-secret",
		"HEROKU_API_KEY=01234567-89ab-cdef-0123-456789abcdef",
		"OTHER=not a url",
		"DATABASE_CONNECTION_POOL_URL=postgres://u3:pool-secret@h3/d3?keepalives=1&options=-c+x",
	}
	r := RedactorFromEnv(env)
	for _, s := range []string{"db/secret@", "db%2fsecret%40", "another-secret", "key-secret", "pool-secret", "01234567-89ab-cdef-0123-456789abcdef"} {
		if got := r.Redact("x " + s + " y"); got != "x "+Redacted+" y" {
			t.Errorf("%q: got %q", s, got)
		}
	}
}

func TestRedactWriterSplitWrites(t *testing.T) {
	pw := "0123456789abcdef0123456789abcdef"
	var out bytes.Buffer
	w := NewRedactWriter(&out, NewRedactor(pw))
	text := "line one " + pw + "\nsecond " + url.QueryEscape(pw) + " end"
	for i := 0; i < len(text); i += 3 {
		end := min(i+3, len(text))
		if _, err := w.Write([]byte(text[i:end])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "line one " + Redacted + "\nsecond " + Redacted + " end"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func lowerHex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			b.WriteString("%" + strings.ToLower(s[i+1:i+3]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// allEncoded percent-encodes every byte but ASCII letters and digits, lower-case hex (Python's
// quote(s, safe="") with lower-case hex).
func allEncoded(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02x", c)
	}
	return b.String()
}

func asciiJSON(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		if c < 0x80 && c != '"' && c != '\\' {
			b.WriteRune(c)
		} else {
			fmt.Fprintf(&b, `\u%04x`, c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A line's start is written after PartialDelay even while its end has not come (Django's
// "Applying …" during a long migration), redacted.
func TestRedactWriterPartialLine(t *testing.T) {
	pw := "0123456789abcdef0123456789abcdef"
	var out lockedBuffer
	w := NewRedactWriter(&out, NewRedactor(pw))
	if _, err := w.Write([]byte("  Applying shop.0007 as " + pw + "...")); err != nil {
		t.Fatal(err)
	}
	want := "  Applying shop.0007 as " + Redacted + "..."
	deadline := time.Now().Add(10 * time.Second)
	for out.String() != want {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s: %q, want %q", out.String(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := w.Write([]byte(" OK\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != want+" OK\n" {
		t.Errorf("got %q", got)
	}
}
