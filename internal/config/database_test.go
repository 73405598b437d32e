package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// urlWant is what a parsed URL must hold.
type urlWant struct {
	host, user, password, database string
	port                           int
	params                         map[string]string
	str                            string // String(), redacted
	conn                           string // ConnString()
}

// parseURLTest is one case of TestParseDatabaseURL.
type parseURLTest struct {
	name string
	in   string
	want urlWant
}

var parseURLTests = []parseURLTest{
	{
		name: "heroku",
		in:   "postgres://u8ab:p3f00d@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d9kq",
		want: urlWant{host: "ec2-1-2-3-4.compute-1.amazonaws.com", port: 5432, user: "u8ab", password: "p3f00d", database: "d9kq", params: map[string]string{},
			str:  "postgres://u8ab:********@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d9kq",
			conn: "postgres://u8ab:p3f00d@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d9kq"},
	},
	{
		name: "sslmode kept with other params, sorted",
		in:   "postgres://user:pass@host:5432/db?sslmode=require&application_name=zdcd%20release",
		want: urlWant{host: "host", port: 5432, user: "user", password: "pass", database: "db",
			params: map[string]string{"sslmode": "require", "application_name": "zdcd release"},
			str:    "postgres://user:********@host:5432/db?application_name=zdcd%20release&sslmode=require",
			conn:   "postgres://user:pass@host:5432/db?application_name=zdcd%20release&sslmode=require"},
	},
	{
		name: "postgresql scheme, upper case, no port",
		in:   "PostgreSQL://user:pass@db.example.com/app",
		want: urlWant{host: "db.example.com", port: 5432, user: "user", password: "pass", database: "app", params: map[string]string{},
			str:  "postgres://user:********@db.example.com:5432/app",
			conn: "postgres://user:pass@db.example.com:5432/app"},
	},
	{
		name: "percent-encoded password with @ : / and %",
		in:   "postgres://us%40er:p%40ss%3Aw%2Ford%25@host:6543/db",
		want: urlWant{host: "host", port: 6543, user: "us@er", password: "p@ss:w/ord%", database: "db", params: map[string]string{},
			str:  "postgres://us%40er:********@host:6543/db",
			conn: "postgres://us%40er:p%40ss%3Aw%2Ford%25@host:6543/db"},
	},
	{
		name: "IPv6",
		in:   "postgres://user:pass@[2001:db8::1]:5433/db",
		want: urlWant{host: "2001:db8::1", port: 5433, user: "user", password: "pass", database: "db", params: map[string]string{},
			str:  "postgres://user:********@[2001:db8::1]:5433/db",
			conn: "postgres://user:pass@[2001:db8::1]:5433/db"},
	},
	{
		name: "IPv6 loopback without port",
		in:   "postgres://user@[::1]/db",
		want: urlWant{host: "::1", port: 5432, user: "user", database: "db", params: map[string]string{},
			str:  "postgres://user@[::1]:5432/db",
			conn: "postgres://user@[::1]:5432/db"},
	},
	{
		name: "no user, no password",
		in:   "postgres://localhost/db",
		want: urlWant{host: "localhost", port: 5432, database: "db", params: map[string]string{},
			str:  "postgres://localhost:5432/db",
			conn: "postgres://localhost:5432/db"},
	},
	{
		name: "unix socket in host parameter",
		in:   "postgres:///db?host=/var/run/postgresql&port=5433",
		want: urlWant{host: "/var/run/postgresql", port: 5433, database: "db", params: map[string]string{},
			str:  "postgres:///db?host=%2Fvar%2Frun%2Fpostgresql&port=5433",
			conn: "postgres:///db?host=%2Fvar%2Frun%2Fpostgresql&port=5433"},
	},
	{
		name: "password parameter overrides and is redacted",
		in:   "postgres://user:old@host/db?password=s3cret&sslpassword=k3y",
		want: urlWant{host: "host", port: 5432, user: "user", password: "s3cret", database: "db", params: map[string]string{"sslpassword": "k3y"},
			str:  "postgres://user:********@host:5432/db?sslpassword=********",
			conn: "postgres://user:s3cret@host:5432/db?sslpassword=k3y"},
	},
	{
		name: "libpq options, %20 a space, written back as %20 (pgx and libpq read '+' as a plus)",
		in:   "postgres://user:pass@host/db?options=-c%20statement_timeout%3D30000",
		want: urlWant{host: "host", port: 5432, user: "user", password: "pass", database: "db",
			params: map[string]string{"options": "-c statement_timeout=30000"},
			str:    "postgres://user:********@host:5432/db?options=-c%20statement_timeout%3D30000",
			conn:   "postgres://user:pass@host:5432/db?options=-c%20statement_timeout%3D30000"},
	},
	{
		name: "dj-database-url's socket: percent-encoded directory as host",
		in:   "postgres://u:p@%2Fvar%2Frun%2Fpostgresql/db",
		want: urlWant{host: "/var/run/postgresql", port: 5432, user: "u", password: "p", database: "db", params: map[string]string{},
			str:  "postgres://u:********@/db?host=%2Fvar%2Frun%2Fpostgresql&port=5432",
			conn: "postgres://u:p@/db?host=%2Fvar%2Frun%2Fpostgresql&port=5432"},
	},
	{
		name: "lower-case hex, socket with port, no user",
		in:   "postgresql://%2ftmp%2fpg:5433/db",
		want: urlWant{host: "/tmp/pg", port: 5433, database: "db", params: map[string]string{},
			str:  "postgres:///db?host=%2Ftmp%2Fpg&port=5433",
			conn: "postgres:///db?host=%2Ftmp%2Fpg&port=5433"},
	},
	{
		name: "ssl=true is sslmode=require; a plus in the password stays a plus",
		in:   "postgres://u:a+b@h/db?ssl=true&connect_timeout=5",
		want: urlWant{host: "h", port: 5432, user: "u", password: "a+b", database: "db", params: map[string]string{"sslmode": "require", "connect_timeout": "5"},
			str:  "postgres://u:********@h:5432/db?connect_timeout=5&sslmode=require",
			conn: "postgres://u:a+b@h:5432/db?connect_timeout=5&sslmode=require"},
	},
	{
		name: "encoded database name, surrounding whitespace",
		in:   " postgres://u:p@h:5432/my%20db\n",
		want: urlWant{host: "h", port: 5432, user: "u", password: "p", database: "my db", params: map[string]string{},
			str:  "postgres://u:********@h:5432/my%20db",
			conn: "postgres://u:p@h:5432/my%20db"},
	},
}

func TestParseDatabaseURL(t *testing.T) {
	tests := parseURLTests
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDatabaseURL(tt.in)
			if err != nil {
				t.Fatalf("ParseDatabaseURL: %v", err)
			}
			got := urlWant{host: d.Host, port: d.Port, user: d.User, password: d.Password.Reveal(), database: d.Database,
				params: d.Params, str: d.String(), conn: d.ConnString()}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			// The connection string round-trips, and pgx reads the same parts from it.
			again, err := ParseDatabaseURL(d.ConnString())
			if err != nil {
				t.Fatalf("reparse ConnString: %v", err)
			}
			if again.ConnString() != d.ConnString() || again.Password.Reveal() != d.Password.Reveal() {
				t.Errorf("ConnString does not round-trip: %s", again)
			}
			pc, err := pgx.ParseConfig(d.ConnString())
			if err != nil {
				t.Fatalf("pgx.ParseConfig(ConnString): %v", err)
			}
			if pc.Host != d.Host || int(pc.Port) != d.Port || (d.User != "" && pc.User != d.User) || pc.Password != d.Password.Reveal() || pc.Database != d.Database {
				t.Errorf("pgx reads host=%q port=%d user=%q database=%q", pc.Host, pc.Port, pc.User, pc.Database)
			}
			for _, k := range []string{"options", "application_name"} {
				if v, ok := d.Params[k]; ok && pc.RuntimeParams[k] != v {
					t.Errorf("pgx reads %s=%q, want %q", k, pc.RuntimeParams[k], v)
				}
			}
		})
	}
}

func TestParseDatabaseURLErrors(t *testing.T) {
	const expected = "expected postgres://user:password@host:5432/database"
	tests := []struct {
		name, in, want string
	}{
		{"empty", "  ", "it is empty; " + expected},
		{"wrong scheme", "mysql://user:hunter2@host/db", "scheme must be postgres:// or postgresql://"},
		{"http", "https://user:hunter2@host/db", "scheme must be postgres:// or postgresql://"},
		{"garbage", "hunter2 is not a url", "it is not a URL; " + expected},
		{"key=value conninfo", "host=h user=u password=hunter2 dbname=d", "it is not a URL; " + expected},
		{"no host", "postgres://user:hunter2@/db", "it names no host; " + expected + ", or for a Unix-domain socket postgres://user:password@%2Fvar%2Frun%2Fpostgresql/database"},
		{"no host at all", "postgres:///db", "it names no host; " + expected + ", or for a Unix-domain socket postgres://user:password@%2Fvar%2Frun%2Fpostgresql/database"},
		{"no database", "postgres://user:hunter2@host:5432", "it names no database; " + expected},
		{"no database, slash", "postgres://user:hunter2@host:5432/", "it names no database; " + expected},
		{"port not a number", "postgres://user:hunter2@host:54x2/db", "port must be a number from 1 to 65535 (if the password contains ':', '/' or '@', percent-encode them)"},
		{"port out of range", "postgres://user:hunter2@host:70000/db", "port must be a number from 1 to 65535"},
		{"port zero", "postgres://user:hunter2@host:0/db", "port must be a number from 1 to 65535"},
		{"port parameter", "postgres://user:hunter2@host/db?port=abc", "port must be a number from 1 to 65535"},
		{"unencoded slash in password", "postgres://user:hun/ter2@host:5432/db", "port must be a number from 1 to 65535 (if the password contains ':', '/' or '@', percent-encode them)"},
		{"bad percent-encoding", "postgres://user:hunter2%zz@host/db", "it has an invalid percent-encoding; percent-encode special characters in the user name and password (% as %25, @ as %40)"},
		{"hash in password", "postgres://user:hunter2#x@host/db", "it contains '#', which starts a URL fragment; percent-encode it as %23 in the user name or password"},
		{"IPv6 without brackets", "postgres://user:hunter2@2001:db8::1:5432/db", "an IPv6 host must be in brackets, as in postgres://user:password@[2001:db8::1]:5432/database"},
		{"several hosts", "postgres://user:hunter2@h1:5432,h2:5432/db", "it names several hosts, which zdcd does not support; name one host"},
		{"control character", "postgres://user:hunter2@host/db\x00", "it contains a control character; " + expected + " on one line"},
		{"bad query", "postgres://user:hunter2@host/db?sslmode=%zz", "its query string is invalid; percent-encode special characters in parameter values (% as %25)"},
		{"bad host character", "postgres://user:hunter2@ho%20st/db", "its host contains an invalid character; " + expected},
		{"plus in the query", "postgres://user:hunter2@host/db?options=-c+statement_timeout%3D5", "its query string contains '+', which libpq reads as a plus and dj-database-url as a space; write %20 for a space, %2B for a plus"},
		{"unknown parameter", "postgres://user:hunter2@host/db?keepalives=1", "its query parameter keepalives is not one zdcd hands alike to its connection, pg_dump and Django; use host, port, user, password, dbname, ssl=true, application_name, connect_timeout, options, sslcert, sslkey, sslmode, sslpassword, sslrootcert, sslsni, target_session_attrs"},
		{"ssl not true", "postgres://user:hunter2@host/db?ssl=1", "its query parameter ssl must be true (or write sslmode=require)"},
		{"two at signs", "postgres://user:hun@ter2@host/db", "it contains '@' more than once; percent-encode '@' in the user name or password as %40"},
		{"query without =", "postgres://user:hunter2@host/db?sslmode", "its query string is invalid; write each parameter as name=value, percent-encoding '=' and '&' in values (%3D, %26)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDatabaseURL(tt.in)
			if err == nil {
				t.Fatalf("ParseDatabaseURL succeeded: %s", d)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %q\nwant %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error quotes the input or spans lines: %q", err)
			}
		})
	}
}
