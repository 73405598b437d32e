package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/pgtest"
)

// Secrets: a database password never appears in any output of any command, in any encoding, even
// when the app's settings print DATABASES and DATABASE_URL at import and a failing migration
// prints the URL and raises with it; nor in the ledger (every text of the zdcd schema) nor in
// `history`. Two passwords: Heroku's style (64 hex digits) and one every encoding changes.

// printingSettings is appended to the sample project's settings: it prints the database settings
// as Python's repr, as JSON, and the URL, on stdout and stderr, at every import.
const printingSettings = `
import json as _json, sys as _sys
print("settings DATABASES:", DATABASES)
print("settings DATABASE_URL:", os.environ["DATABASE_URL"], file=_sys.stderr)
print("settings json:", _json.dumps(DATABASES["default"]), file=_sys.stderr)
`

// leakingMigration prints the URL and the settings, then fails with them in its message.
const leakingMigration = `import os
import sys

from django.conf import settings
from django.db import migrations


def leak(apps, schema_editor):
    print("migration sees", os.environ["DATABASE_URL"], settings.DATABASES)
    print("migration password", repr(settings.DATABASES["default"]["PASSWORD"]), file=sys.stderr)
    raise RuntimeError("cannot connect to %s (%r)" % (os.environ["DATABASE_URL"], settings.DATABASES["default"]))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_customer_phone_ordering'),
    ]

    operations = [
        migrations.RunPython(leak, migrations.RunPython.noop),
    ]
`

// databaseWithPassword creates a role with password, owner of a new database on the shared
// cluster, and returns its URL (the password percent-encoded in the userinfo, as Heroku and
// dj-database-url write it).
func databaseWithPassword(t testing.TB, password string) string {
	t.Helper()
	c := pgtest.Shared(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	n := fmt.Sprintf("s%d_%d", os.Getpid(), roleCounter.Add(1))
	quoted := "'" + strings.ReplaceAll(password, "'", "''") + "'"
	for _, q := range []string{
		"SET standard_conforming_strings = on",
		"CREATE ROLE " + n + " LOGIN PASSWORD " + quoted,
		"CREATE DATABASE " + n + " OWNER " + n,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", strings.SplitN(q, " PASSWORD", 2)[0], err)
		}
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)")
		_, _ = conn.Exec(ctx, "DROP ROLE IF EXISTS "+n)
	})
	u := url.URL{Scheme: "postgres", User: url.UserPassword(n, password),
		Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)), Path: "/" + n, RawQuery: "sslmode=disable"}
	return u.String()
}

// secretForms are the spellings of password a leak would show: raw, percent-encoded as
// url.QueryEscape, url.PathEscape and a URL's userinfo write it (both hex cases), escaped as
// Python's repr and JSON print it inside a string.
func secretForms(password string) []string {
	userinfo := strings.TrimPrefix(url.UserPassword("", password).String(), ":")
	js, _ := json.Marshal(password)
	forms := []string{
		password, url.QueryEscape(password), url.PathEscape(password), userinfo,
		strings.ToLower(url.QueryEscape(password)), strings.ToLower(userinfo),
		strings.Trim(string(js), `"`),
		strings.ReplaceAll(strings.ReplaceAll(password, `\`, `\\`), `'`, `\'`),
		strings.ReplaceAll(password, `\`, `\\`),
	}
	// A form's long run without the characters an encoding changes: a partial leak.
	for _, part := range strings.FieldsFunc(password, func(r rune) bool { return strings.ContainsRune(`@:/%?#&'"\ `, r) }) {
		if len(part) >= 8 {
			forms = append(forms, part)
		}
	}
	return forms
}

func assertNoSecretForm(t testing.TB, what, text string, password string) {
	t.Helper()
	for _, f := range secretForms(password) {
		if f != "" && strings.Contains(text, f) {
			t.Errorf("%s contains the password as %q:\n%s", what, f, text)
			return
		}
	}
}

// ledgerText is every row of every table of the ledger's schema, as text.
func ledgerText(t testing.TB, dbURL string) string {
	t.Helper()
	conn := connect(t, dbURL)
	ctx := context.Background()
	rows, err := conn.Query(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", ledger.Schema)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) == 0 {
		t.Fatal("no ledger tables")
	}
	var b strings.Builder
	for _, tbl := range tables {
		rows, err := conn.Query(ctx, fmt.Sprintf("SELECT t::text FROM %s t", pgx.Identifier{ledger.Schema, tbl}.Sanitize()))
		if err != nil {
			t.Fatal(err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(strings.Join(texts, "\n"))
	}
	return b.String()
}

func TestNoSecretInAnyOutput(t *testing.T) {
	passwords := map[string]string{
		"heroku":  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"special": `p@ss:w/rd%?#&'"\ +x9Q-` + "ünï",
	}
	for name, pw := range passwords {
		t.Run(name, func(t *testing.T) {
			dbURL := databaseWithPassword(t, pw)
			dir := sampleVersion(t, "accounts/0003")
			migrateBaseline(t, dir, dbURL)
			f, err := os.OpenFile(filepath.Join(dir, "sampleproject", "settings.py"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString(printingSettings); err != nil {
				t.Fatal(err)
			}
			f.Close()
			env := releaseEnv(dbURL, t.TempDir())

			check := run(t, dir, env, "check")
			if check.code != 0 || !strings.Contains(check.stderr, "settings DATABASE_URL: postgres://") {
				t.Fatalf("check (want exit 0, and the settings' prints passed through): %s", check)
			}
			assertNoSecretForm(t, "check", check.String(), pw)

			rel := run(t, dir, env, "release")
			if rel.code != 0 || !strings.Contains(rel.stdout, "Applying accounts.0003_customer_phone_ordering") {
				t.Fatalf("release: %s", rel)
			}
			assertNoSecretForm(t, "release", rel.String(), pw)

			writeMigration(t, dir, "accounts", "0004_leak", leakingMigration)
			failed := run(t, dir, append(env, "NIGHTLY_BUILD=true"), "release")
			if failed.code != 3 || !strings.Contains(failed.String(), "cannot connect to postgres://") {
				t.Fatalf("failing release (want exit 3, the migration's message passed through): %s", failed)
			}
			assertNoSecretForm(t, "failing release", failed.String(), pw)

			for _, args := range [][]string{{"history"}, {"history", "--format", "json"}} {
				h := run(t, dir, env, args...)
				if h.code != 0 {
					t.Fatalf("%v: %s", args, h)
				}
				assertNoSecretForm(t, strings.Join(args, " "), h.String(), pw)
			}
			runs := history(t, dir, env)
			for _, r := range runs {
				d := run(t, dir, env, "history", strconv.FormatInt(r.ID, 10))
				assertNoSecretForm(t, "history detail", d.String(), pw)
			}
			assertNoSecretForm(t, "the ledger", ledgerText(t, dbURL), pw)
		})
	}
}
