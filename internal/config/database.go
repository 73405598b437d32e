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

// ParseDatabaseURL parses a postgres:// or postgresql:// URL. The error's message says what is
// wrong without ever quoting the URL or any part of it, so it can be shown as is
// ("scheme must be postgres:// or postgresql://").
func ParseDatabaseURL(s string) (*DatabaseURL, error) {
	s = strings.TrimSpace(s)
	problem := func(msg string) (*DatabaseURL, error) { return nil, errors.New(msg) }
	if s == "" {
		return problem("it is empty; " + expectedURL)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return problem("it contains a control character; " + expectedURL + " on one line")
	}
	i := strings.Index(s, "://")
	if i < 0 {
		return problem("it is not a URL; " + expectedURL)
	}
	if scheme := strings.ToLower(s[:i]); scheme != "postgres" && scheme != "postgresql" {
		return problem("scheme must be postgres:// or postgresql://")
	}
	if strings.Contains(s, "#") {
		return problem("it contains '#', which starts a URL fragment; percent-encode it as %23 in the user name or password")
	}
	// Never show url.Parse's error: it quotes the input, password included. Classify it instead.
	u, err := url.Parse(s)
	if err != nil {
		return problem(classifyURLError(err))
	}
	if strings.Contains(u.Host, ",") {
		return problem("it names several hosts, which zdcd does not support; name one host")
	}
	// url.Parse accepts "host:port" only with brackets around an IPv6 address, but an unbracketed
	// one can slip through as host ":" and a port: say what to do.
	if strings.Count(u.Host, ":") > 1 && !strings.HasPrefix(u.Host, "[") {
		return problem("an IPv6 host must be in brackets, as in postgres://user:password@[2001:db8::1]:5432/database")
	}

	d := &DatabaseURL{
		Host:     u.Hostname(),
		User:     u.User.Username(),
		Database: strings.TrimPrefix(u.Path, "/"),
		Params:   map[string]string{},
	}
	if pw, ok := u.User.Password(); ok {
		d.Password = NewSecret(pw)
	}
	port := u.Port()
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return problem("its query string is invalid; percent-encode special characters in parameter values (% as %25)")
		}
		for k, vs := range q {
			v := vs[len(vs)-1]
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
			default:
				d.Params[k] = v
			}
		}
	}
	switch {
	case d.Host == "":
		return problem("it names no host; " + expectedURL)
	case strings.Contains(d.Host, ","):
		return problem("it names several hosts, which zdcd does not support; name one host")
	}
	d.Port = DefaultPort
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return problem("port must be a number from 1 to 65535")
		}
		d.Port = n
	}
	if d.Database == "" {
		return problem("it names no database; " + expectedURL)
	}
	return d, nil
}

// classifyURLError turns url.Parse's error into a message that quotes nothing.
func classifyURLError(err error) string {
	var ee url.EscapeError
	var he url.InvalidHostError
	switch msg := err.Error(); {
	case errors.As(err, &ee):
		return "it has an invalid percent-encoding; percent-encode special characters in the user name and password (% as %25, @ as %40)"
	case errors.As(err, &he):
		return "its host contains an invalid character; " + expectedURL
	case strings.Contains(msg, "invalid port"):
		return "port must be a number from 1 to 65535 (if the password contains ':', '/' or '@', percent-encode them)"
	case strings.Contains(msg, "invalid userinfo"):
		return "its user name or password contains an invalid character; percent-encode special characters"
	default:
		return "it is not a valid URL; " + expectedURL
	}
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
		v := url.QueryEscape(params[k])
		if redact && secretParams[k] {
			v = Redacted
		}
		parts = append(parts, url.QueryEscape(k)+"="+v)
	}
	return strings.Join(parts, "&")
}
