package config

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// MinSecretLen is the shortest secret a Redactor replaces in free text. A shorter one (a 3-letter
// password) would match ordinary words of every line; such a password is still never printed by
// zdcd itself (Secret and DatabaseURL redact it), but a child that prints it is not scrubbed.
const MinSecretLen = 4

// Redactor replaces secrets in free text — every output zdcd writes or passes through from a child
// process, every error, every text the ledger stores — in every encoding a secret takes on its way
// there:
//
//   - raw;
//   - percent-encoded, as in a URL's userinfo, path or query: any subset of its bytes written as
//     %HH with upper- or lower-case hex (what url.QueryEscape, url.PathEscape, url.UserPassword,
//     Python's urllib.parse.quote and dj-database-url produce), and a space as '+';
//   - escaped inside a quoted string: a character preceded by backslashes (Python's repr of a
//     dict prints 'pa\'ss', JSON prints "pa\"ss" and "a\\b", a shell or JSON may escape '/'),
//     or written as \xHH, \u00HH, \U000000HH (Python, JSON), or \t \n \r \f \b.
//
// The whole URL is covered by the same rule: its password, in whichever of these forms the URL
// is printed, is replaced by Redacted; the rest of the URL (user, host, database) is not a secret.
//
// Speed: a text is searched with a secret's pattern only when it holds the secret's longest run of
// letters and digits literally (no URL encoder, repr or JSON changes those), so output without a
// secret costs one substring search per secret. The cost: a secret whose letters and digits are
// themselves written as %HH or \xHH escapes (which none of those encoders do) is not found.
//
// A Redactor is safe for concurrent use; the zero value and nil redact nothing.
type Redactor struct {
	secrets []secretMatcher
}

type secretMatcher struct {
	anchor string // the secret's longest run of ASCII letters and digits ("" if under 4 long)
	re     *regexp.Regexp
}

// NewRedactor builds a Redactor for secrets. Empty secrets and those shorter than MinSecretLen
// are ignored.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	return r.With(secrets...)
}

// RedactorFromEnv builds the Redactor for a process environment (KEY=value entries): every
// variable the configuration table marks secret (HEROKU_API_KEY), libpq's PGPASSWORD, and the
// password (and sslpassword) of every variable whose value is a postgres:// or postgresql:// URL —
// DATABASE_URL, the one ZDCD_DATABASE_VAR names, Heroku's HEROKU_POSTGRESQL_<COLOR>_URL and
// DATABASE_CONNECTION_POOL_URL alike: the Django child sees them all, and settings may print any
// of them.
func RedactorFromEnv(environ []string) *Redactor {
	var secrets []string
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			continue
		}
		if isSecretVar(k) || k == "PGPASSWORD" {
			secrets = append(secrets, strings.TrimSpace(v))
			continue
		}
		secrets = append(secrets, URLSecrets(v)...)
	}
	return NewRedactor(secrets...)
}

// URLSecrets returns the secrets a database URL carries (its password, its sslpassword), decoded,
// or nothing when s is not a postgres URL this package can read.
func URLSecrets(s string) []string {
	l := strings.ToLower(strings.TrimSpace(s))
	if !strings.HasPrefix(l, "postgres://") && !strings.HasPrefix(l, "postgresql://") {
		return nil
	}
	d, err := ParseDatabaseURL(s)
	if err != nil {
		return looseURLSecrets(s)
	}
	var out []string
	if d.Password.IsSet() {
		out = append(out, d.Password.Reveal())
	}
	for k, v := range d.Params {
		if secretParams[k] && v != "" {
			out = append(out, v)
		}
	}
	return out
}

// looseURLSecrets finds the password of a URL ParseDatabaseURL refuses (another variable of the
// environment, which zdcd does not use but the app may print): the userinfo's password up to the
// last '@' of the authority, and password= / sslpassword= parameters, decoded when they decode.
func looseURLSecrets(s string) []string {
	var out []string
	add := func(v string) {
		out = append(out, v)
		if dec, err := percentDecode(v); err == nil && dec != v {
			out = append(out, dec)
		}
	}
	rest := s[strings.Index(s, "://")+3:]
	authority, query, _ := strings.Cut(rest, "?")
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		if _, pw, ok := strings.Cut(authority[:i], ":"); ok && pw != "" {
			add(pw)
		}
	}
	for _, pair := range strings.Split(query, "&") {
		if k, v, ok := strings.Cut(pair, "="); ok && v != "" && (k == "password" || secretParams[k]) {
			add(v)
		}
	}
	return out
}

// With returns a Redactor for r's secrets and more.
func (r *Redactor) With(secrets ...string) *Redactor {
	n := &Redactor{}
	seen := map[string]bool{}
	if r != nil {
		n.secrets = append(n.secrets, r.secrets...)
		for _, m := range r.secrets {
			seen[m.re.String()] = true
		}
	}
	for _, sec := range secrets {
		if utf8.RuneCountInString(sec) < MinSecretLen {
			continue
		}
		m := secretMatcher{anchor: alnumRun(sec), re: regexp.MustCompile(secretPattern(sec))}
		if seen[m.re.String()] {
			continue
		}
		seen[m.re.String()] = true
		n.secrets = append(n.secrets, m)
	}
	// Longest first: a secret that contains another is replaced whole.
	sort.SliceStable(n.secrets, func(i, j int) bool { return len(n.secrets[i].re.String()) > len(n.secrets[j].re.String()) })
	return n
}

// Redact returns s with every secret, in every encoding, replaced by Redacted.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	for _, m := range r.secrets {
		if m.anchor != "" && !strings.Contains(s, m.anchor) {
			continue
		}
		s = m.re.ReplaceAllLiteralString(s, Redacted)
	}
	return s
}

// alnumRun is s's longest run of ASCII letters and digits, or "" when it is shorter than 4.
func alnumRun(s string) string {
	best, start := "", -1
	for i := 0; i <= len(s); i++ {
		alnum := i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9')
		switch {
		case alnum && start < 0:
			start = i
		case !alnum && start >= 0:
			if i-start > len(best) {
				best = s[start:i]
			}
			start = -1
		}
	}
	if len(best) < 4 {
		return ""
	}
	return best
}

// secretPattern is the regular expression that matches s in any of the encodings Redactor lists.
func secretPattern(s string) string {
	var b strings.Builder
	for _, c := range s {
		b.WriteString("(?:")
		b.WriteString(charPattern(c))
		b.WriteString(")")
	}
	return b.String()
}

// charPattern matches one character of a secret in any encoding.
func charPattern(c rune) string {
	var alts []string
	lit := regexp.QuoteMeta(string(c))
	if c == '\\' {
		// A backslash, escaped once or twice (repr of a JSON string): one to four of them.
		alts = append(alts, `\\{1,4}`)
	} else {
		// Itself, or escaped by one to three backslashes (\' in a repr, \" \/ in JSON).
		alts = append(alts, `\\{0,3}`+lit)
	}
	// Percent-encoded, byte by byte, either hex case.
	var pct strings.Builder
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], c)
	for _, by := range buf[:n] {
		pct.WriteString("%" + hexPattern(fmt.Sprintf("%02X", by)))
	}
	alts = append(alts, pct.String())
	if c == ' ' {
		alts = append(alts, `\+`)
	}
	// Escape sequences of Python and JSON string literals.
	if c < 0x100 {
		alts = append(alts, `\\{1,2}x`+hexPattern(fmt.Sprintf("%02X", c)))
	}
	if c < 0x10000 {
		alts = append(alts, `\\{1,2}u`+hexPattern(fmt.Sprintf("%04X", c)))
	} else {
		// JSON writes a character outside the BMP as a surrogate pair.
		hi, lo := surrogates(c)
		alts = append(alts, `\\{1,2}u`+hexPattern(fmt.Sprintf("%04X", hi))+`\\{1,2}u`+hexPattern(fmt.Sprintf("%04X", lo)))
	}
	alts = append(alts, `\\{1,2}U`+hexPattern(fmt.Sprintf("%08X", c)))
	switch c {
	case '\t':
		alts = append(alts, `\\{1,2}t`)
	case '\n':
		alts = append(alts, `\\{1,2}n`)
	case '\r':
		alts = append(alts, `\\{1,2}r`)
	case '\f':
		alts = append(alts, `\\{1,2}f`)
	case '\b':
		alts = append(alts, `\\{1,2}b`)
	}
	return strings.Join(alts, "|")
}

// hexPattern matches hex digits in either case: "2F" → "2[fF]".
func hexPattern(hex string) string {
	var b strings.Builder
	for _, h := range hex {
		if h >= 'A' && h <= 'F' {
			b.WriteString("[" + string(h) + string(h+'a'-'A') + "]")
		} else {
			b.WriteRune(h)
		}
	}
	return b.String()
}

func surrogates(c rune) (rune, rune) {
	c -= 0x10000
	return 0xD800 + (c>>10)&0x3FF, 0xDC00 + c&0x3FF
}

// RedactWriter passes text to an io.Writer with secrets redacted. It writes whole lines (a secret
// never spans a line), holding a line's start until its end arrives — so a secret a child writes
// in two pieces is still caught —, or until the line has been pending for PartialDelay (Django's
// "  Applying shop.0007..." waits for its " OK" as long as the migration runs: the operator sees it
// while it runs), or Flush. A line longer than 64 KiB is written in pieces. Safe for concurrent use.
type RedactWriter struct {
	mu    sync.Mutex
	w     io.Writer
	r     *Redactor
	buf   []byte
	timer *time.Timer
	err   error // the last error of a timed flush, returned by the next Write or Flush
}

// maxPending bounds what a RedactWriter holds back waiting for a newline.
const maxPending = 64 << 10

// PartialDelay is how long a RedactWriter holds the start of a line before writing it anyway.
const PartialDelay = 500 * time.Millisecond

// NewRedactWriter returns a RedactWriter writing to w.
func NewRedactWriter(w io.Writer, r *Redactor) *RedactWriter {
	return &RedactWriter{w: w, r: r}
}

// Write implements io.Writer. It reports len(p) written unless w fails.
func (rw *RedactWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if err := rw.err; err != nil {
		rw.err = nil
		return 0, err
	}
	rw.buf = append(rw.buf, p...)
	i := bytes.LastIndexByte(rw.buf, '\n')
	if i < 0 && len(rw.buf) >= maxPending {
		i = len(rw.buf) - 1
	}
	if i >= 0 {
		out := rw.buf[:i+1]
		_, err := io.WriteString(rw.w, rw.r.Redact(string(out)))
		rw.buf = append(rw.buf[:0], rw.buf[i+1:]...)
		if err != nil {
			return 0, err
		}
	}
	if len(rw.buf) > 0 && rw.timer == nil {
		rw.timer = time.AfterFunc(PartialDelay, rw.timedFlush)
	}
	return len(p), nil
}

func (rw *RedactWriter) timedFlush() {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.timer = nil
	if err := rw.flushLocked(); err != nil {
		rw.err = err
	}
}

// Flush writes what is held back (a last line without its newline).
func (rw *RedactWriter) Flush() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.timer != nil {
		rw.timer.Stop()
		rw.timer = nil
	}
	if err := rw.err; err != nil {
		rw.err = nil
		return err
	}
	return rw.flushLocked()
}

func (rw *RedactWriter) flushLocked() error {
	if len(rw.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(rw.w, rw.r.Redact(string(rw.buf)))
	rw.buf = rw.buf[:0]
	return err
}
