package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// DefaultPort is PostgreSQL's port, used when the URL names none.
const DefaultPort = 5432

// DatabaseURL is a parsed PostgreSQL connection URL, in the form Heroku sets DATABASE_URL:
//
//	postgres://user:password@host:5432/database?sslmode=require
//
// The scheme may be postgres:// or postgresql://; user name, password and database name may be
// percent-encoded; the port defaults to 5432; an IPv6 host is written in brackets
// (postgres://u:p@[2001:db8::1]:5432/db). Query parameters are libpq parameters and are kept as
// they are, except host, port, user, password and dbname, which override the URL's own parts (as
// libpq does) and are moved into the fields below. A host parameter may name a Unix-domain socket
// directory (postgres:///db?host=/var/run/postgresql), for local runs.
//
// Every printed form (String, %v, %#v, JSON) redacts the password; ConnString is the one form that
// carries it, for the driver.
type DatabaseURL struct {
	// Host is a host name, an IP address (IPv6 without brackets, zone included), or a Unix-domain
	// socket directory (starting with "/").
	Host string
	Port int
	User string
	// Password is empty when the URL has none (e.g. a .pgpass or trust setup).
	Password Secret
	Database string
	// Params are the other libpq parameters from the query string, decoded (sslmode, ...). When a
	// parameter is repeated, the last one wins, as in libpq.
	Params map[string]string
}

// secretParams are the query parameters whose value String redacts.
var secretParams = map[string]bool{"sslpassword": true}

// expectedURL ends the messages of ParseDatabaseURL's errors.
const expectedURL = "expected postgres://user:password@host:5432/database"

// ParseDatabaseURL parses a postgres:// or postgresql:// URL the way libpq reads a connection URI
// (conninfo_uri_parse_options in fe-connect.c), refusing the forms where libpq, pgx, pg_dump and
// dj-database-url would not all read the same thing. Accepted:
//
//   - postgres:// and postgresql://, in any case;
//   - userinfo, host, database name and query values percent-encoded (%HH, either hex case);
//   - a host name, an IPv4 address, an IPv6 address in brackets ([::1]:5432), or a Unix-domain
//     socket directory, written as a percent-encoded host (postgres://%2Fvar%2Frun%2Fpostgresql/db,
//     dj-database-url's spelling) or as ?host=/var/run/postgresql (libpq's);
//   - no user, no password;
//   - the libpq query parameters in queryParams, which host, port, user, password and dbname
//     override the URL's own parts as in libpq; ssl=true is sslmode=require, as in libpq.
//
// Refused, each with its own one-line message: several hosts; a missing host or database name
// (libpq would fall back to compiled-in defaults that differ between libpq builds, and Django
// refuses an empty NAME); an unknown or unsupported query parameter (libpq refuses unknown ones,
// pgx would send them to the server as settings); a '+' in the query (libpq reads '+', Python's
// parse_qs and so dj-database-url a space: write %20 or %2B); several '@' (percent-encode '@' in
// the password as %40); '#'.
//
// The error's message says what is wrong without ever quoting the URL or any part of it, so it can
// be shown as is ("scheme must be postgres:// or postgresql://").
func ParseDatabaseURL(s string) (*DatabaseURL, error) {
	d, problem := parseDatabaseURL(strings.TrimSpace(s))
	if problem != "" {
		return nil, errors.New(problem)
	}
	return d, nil
}

// badEscape is the message for an invalid percent-encoding in the userinfo or host.
const badEscape = "it has an invalid percent-encoding; percent-encode special characters in the user name and password (% as %25, @ as %40)"

// parseDatabaseURL is ParseDatabaseURL with the error as its message ("" when s is valid).
func parseDatabaseURL(s string) (*DatabaseURL, string) {
	rest, problem := urlBody(s)
	if problem != "" {
		return nil, problem
	}
	rest, rawQuery, _ := strings.Cut(rest, "?")
	authority, rawPath, _ := strings.Cut(rest, "/")
	d := &DatabaseURL{Params: map[string]string{}}
	hostport, problem := d.parseUserinfo(authority)
	if problem != "" {
		return nil, problem
	}
	rawHost, port, problem := splitHostPort(hostport)
	if problem != "" {
		return nil, problem
	}
	portInAuthority := port
	host, err := percentDecode(rawHost)
	if err != nil {
		return nil, badEscape
	}
	d.Host = host
	if d.Database, err = percentDecode(rawPath); err != nil {
		return nil, "its database name has an invalid percent-encoding; percent-encode special characters (% as %25)"
	}
	if port, problem = d.parseQuery(rawQuery, port); problem != "" {
		return nil, problem
	}
	if problem := d.check(port, portInAuthority); problem != "" {
		return nil, problem
	}
	return d, ""
}

// urlBody checks a URL's form and scheme and returns what follows "://".
func urlBody(s string) (string, string) {
	if s == "" {
		return "", "it is empty; " + expectedURL
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "", "it contains a control character; " + expectedURL + " on one line"
	}
	i := strings.Index(s, "://")
	if i < 0 {
		return "", "it is not a URL; " + expectedURL
	}
	if scheme := strings.ToLower(s[:i]); scheme != "postgres" && scheme != "postgresql" {
		return "", "scheme must be postgres:// or postgresql://"
	}
	if strings.Contains(s, "#") {
		return "", "it contains '#', which starts a URL fragment; percent-encode it as %23 in the user name or password"
	}
	return s[i+3:], ""
}

// parseUserinfo reads the user and password of the authority into d and returns its host:port.
func (d *DatabaseURL) parseUserinfo(authority string) (hostport, problem string) {
	if strings.Count(authority, "@") > 1 {
		return "", "it contains '@' more than once; percent-encode '@' in the user name or password as %40"
	}
	userinfo, hostport, ok := strings.Cut(authority, "@")
	if !ok {
		return authority, ""
	}
	rawUser, rawPass, hasPass := strings.Cut(userinfo, ":")
	var err error
	if d.User, err = percentDecode(rawUser); err != nil {
		return "", badEscape
	}
	if hasPass {
		pw, err := percentDecode(rawPass)
		if err != nil {
			return "", badEscape
		}
		d.Password = NewSecret(pw)
	}
	return hostport, ""
}

// splitHostPort splits the authority's host:port, the host still percent-encoded.
func splitHostPort(hostport string) (rawHost, port, problem string) {
	const ipv6 = "an IPv6 host must be in brackets, as in postgres://user:password@[2001:db8::1]:5432/database"
	if strings.Contains(hostport, ",") {
		return "", "", "it names several hosts, which zdcd does not support; name one host"
	}
	if !strings.HasPrefix(hostport, "[") {
		if strings.Count(hostport, ":") > 1 {
			return "", "", ipv6
		}
		rawHost, port, _ = strings.Cut(hostport, ":")
		if strings.HasPrefix(hostport, ":") || (strings.Contains(hostport, ":") && port == "") {
			return "", "", "port must be a number from 1 to 65535 (if the password contains ':', '/' or '@', percent-encode them)"
		}
		return rawHost, port, ""
	}
	end := strings.Index(hostport, "]")
	if end < 0 {
		return "", "", ipv6
	}
	rawHost, port = hostport[1:end], hostport[end+1:]
	if port != "" {
		if !strings.HasPrefix(port, ":") {
			return "", "", "it is not a valid URL; " + expectedURL
		}
		port = port[1:]
	}
	if !strings.Contains(rawHost, ":") {
		return "", "", "its host contains an invalid character; " + expectedURL
	}
	return rawHost, port, ""
}

// parseQuery reads the query's parameters into d; a port parameter overrides port, as in libpq.
func (d *DatabaseURL) parseQuery(rawQuery, port string) (string, string) {
	if rawQuery == "" {
		return port, ""
	}
	for _, pair := range strings.Split(rawQuery, "&") {
		if pair == "" {
			continue
		}
		rawKey, rawValue, ok := strings.Cut(pair, "=")
		if !ok || strings.Contains(rawValue, "=") {
			return "", "its query string is invalid; write each parameter as name=value, percent-encoding '=' and '&' in values (%3D, %26)"
		}
		if strings.Contains(pair, "+") {
			return "", "its query string contains '+', which libpq reads as a plus and dj-database-url as a space; write %20 for a space, %2B for a plus"
		}
		k, err1 := percentDecode(rawKey)
		v, err2 := percentDecode(rawValue)
		if err1 != nil || err2 != nil {
			return "", "its query string is invalid; percent-encode special characters in parameter values (% as %25)"
		}
		switch k {
		case "host":
			d.Host = v
		case "port":
			port = v
		case "user":
			d.User = v
		case "password":
			d.Password = NewSecret(v)
		case "dbname":
			d.Database = v
		case "ssl":
			if v != "true" {
				return "", "its query parameter ssl must be true (or write sslmode=require)"
			}
			d.Params["sslmode"] = "require"
		default:
			if !queryParams[k] {
				return "", unknownParam(k)
			}
			d.Params[k] = v
		}
	}
	return port, ""
}

// check validates the host and database d ended with, and sets its port.
func (d *DatabaseURL) check(port, portInAuthority string) string {
	switch {
	case d.Host == "":
		return "it names no host; " + expectedURL + ", or for a Unix-domain socket postgres://user:password@%2Fvar%2Frun%2Fpostgresql/database"
	case strings.Contains(d.Host, ","):
		return "it names several hosts, which zdcd does not support; name one host"
	case !strings.HasPrefix(d.Host, "/") && !validHost(d.Host):
		return "its host contains an invalid character; " + expectedURL
	}
	d.Port = DefaultPort
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strings.HasPrefix(port, "+") {
			if err != nil && port == portInAuthority {
				return "port must be a number from 1 to 65535 (if the password contains ':', '/' or '@', percent-encode them)"
			}
			return "port must be a number from 1 to 65535"
		}
		d.Port = n
	}
	if d.Database == "" {
		return "it names no database; " + expectedURL
	}
	return ""
}

// queryParams are the libpq connection parameters a URL may carry besides host, port, user,
// password and dbname: those pgx (zdcd's connections), libpq (pg_dump, pg_restore, psql) and
// psycopg (the Django child, through dj-database-url's OPTIONS) all honour alike. libpq knows more
// (keepalives, gssencmode, service ...); pgx would send them to the server as settings, so they
// are refused rather than half-honoured.
var queryParams = map[string]bool{
	"sslmode": true, "sslrootcert": true, "sslcert": true, "sslkey": true, "sslpassword": true, "sslsni": true,
	"options": true, "application_name": true, "connect_timeout": true, "target_session_attrs": true,
}

// unknownParam is the message for a query parameter outside queryParams. The name is quoted only
// when it is short and plain (it is not a secret, but it is input).
func unknownParam(k string) string {
	names := make([]string, 0, len(queryParams))
	for n := range queryParams {
		names = append(names, n)
	}
	sort.Strings(names)
	plain := len(k) <= 40 && strings.IndexFunc(k, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0
	what := "one of its query parameters"
	if plain {
		what = "its query parameter " + k
	}
	return what + " is not one zdcd hands alike to its connection, pg_dump and Django; use host, port, user, password, dbname, ssl=true, " + strings.Join(names, ", ")
}

// percentDecode decodes %HH sequences (either hex case) and nothing else: '+' stays '+', as in
// libpq's conninfo_uri_decode. A '%' not followed by two hex digits, or a decoded NUL, is an error.
func percentDecode(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", errors.New("invalid percent-encoding")
		}
		c := unhex(s[i+1])<<4 | unhex(s[i+2])
		if c == 0 {
			return "", errors.New("encoded NUL")
		}
		b.WriteByte(c)
		i += 2
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// validHost reports whether h is a host name, an IPv4 address, or an IPv6 address (zone allowed).
func validHost(h string) bool {
	if ip := net.ParseIP(strings.SplitN(h, "%", 2)[0]); ip != nil {
		return true
	}
	for _, r := range h {
		if !(r == '-' || r == '.' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return h != ""
}

// ConnString returns the full URL, password included, for pgx or libpq. Never print it.
func (d DatabaseURL) ConnString() string { return d.build(false) }

// String returns the URL with the password (and any sslpassword parameter) replaced by Redacted:
// postgres://user:********@host:5432/db?sslmode=require. The scheme is always postgres://.
func (d DatabaseURL) String() string { return d.build(true) }

// GoString implements fmt.GoStringer (%#v), redacted.
func (d DatabaseURL) GoString() string {
	return "config.DatabaseURL(" + strconv.Quote(d.String()) + ")"
}

// Format implements fmt.Formatter so that no verb prints the password.
func (d DatabaseURL) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, d.GoString())
	case verb == 'q':
		io.WriteString(f, strconv.Quote(d.String()))
	default:
		io.WriteString(f, d.String())
	}
}

// MarshalJSON encodes the redacted URL as a string.
func (d DatabaseURL) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// MarshalText encodes the redacted URL.
func (d DatabaseURL) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d DatabaseURL) build(redact bool) string {
	var b strings.Builder
	b.WriteString("postgres://")
	if d.User != "" || d.Password.IsSet() {
		b.WriteString(url.User(d.User).String())
		if d.Password.IsSet() {
			b.WriteByte(':')
			if redact {
				b.WriteString(Redacted)
			} else {
				// url.UserPassword escapes ':', '@', '/' and the rest as userinfo needs.
				s := url.UserPassword("", d.Password.Reveal()).String()
				b.WriteString(strings.TrimPrefix(s, ":"))
			}
		}
		b.WriteByte('@')
	}
	params := make(map[string]string, len(d.Params)+2)
	for k, v := range d.Params {
		params[k] = v
	}
	port := d.Port
	if port == 0 {
		port = DefaultPort
	}
	if strings.HasPrefix(d.Host, "/") {
		// A socket directory cannot be written in the authority: pass it as libpq does.
		params["host"] = d.Host
		params["port"] = strconv.Itoa(port)
	} else {
		// JoinHostPort brackets IPv6; a zone's '%' must be escaped inside a URL.
		b.WriteString(net.JoinHostPort(strings.ReplaceAll(d.Host, "%", "%25"), strconv.Itoa(port)))
	}
	b.WriteByte('/')
	b.WriteString(url.PathEscape(d.Database))
	if len(params) > 0 {
		b.WriteByte('?')
		b.WriteString(encodeQuery(params, redact))
	}
	return b.String()
}

// queryEscape escapes a query name or value so that libpq, pgx and Python's parse_qs read it
// back alike: url.QueryEscape writes a space as '+', which libpq and pgx read as a plus; here it
// is %20 (and a plus %2B).
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// encodeQuery encodes params sorted by name, so that String and ConnString are stable. With
// redact, the values of secret parameters are replaced by Redacted (written as is, not escaped).
func encodeQuery(params map[string]string, redact bool) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := queryEscape(params[k])
		if redact && secretParams[k] {
			v = Redacted
		}
		parts = append(parts, queryEscape(k)+"="+v)
	}
	return strings.Join(parts, "&")
}

// Conninfo returns the libpq keyword/value connection string ("host='/run/pg' port='5432'
// dbname='app' user='u' options='-c …'") for libpq's tools (pg_dump, pg_restore, psql --dbname=…)
// without the password and without sslpassword: those are secrets, and a command line is
// visible to every user of the machine (ps). Give the password in PGPASSWORD. It means what
// ConnString means, socket directories and IPv6 hosts included.
func (d DatabaseURL) Conninfo() string {
	port := d.Port
	if port == 0 {
		port = DefaultPort
	}
	kv := [][2]string{{"host", d.Host}, {"port", strconv.Itoa(port)}, {"dbname", d.Database}}
	if d.User != "" {
		kv = append(kv, [2]string{"user", d.User})
	}
	keys := make([]string, 0, len(d.Params))
	for k := range d.Params {
		if !secretParams[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		kv = append(kv, [2]string{k, d.Params[k]})
	}
	parts := make([]string, len(kv))
	for i, p := range kv {
		v := strings.ReplaceAll(p[1], `\`, `\\`)
		v = strings.ReplaceAll(v, `'`, `\'`)
		parts[i] = p[0] + "='" + v + "'"
	}
	return strings.Join(parts, " ")
}
