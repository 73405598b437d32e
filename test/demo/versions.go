package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// procfile is every version's Procfile: release phase is zdcd. The local Heroku runs only the
// release command; web and worker are there for the formation (maintenance scales workers).
const procfile = `release: zdcd-release release
web: gunicorn sampleproject.wsgi --log-file -
worker: python manage.py process_orders
`

// A version of the sample app: the sample's migrations it ships (by app and number, "shop/0004";
// the others are dropped) and files written into it afterwards.
type version struct {
	name, what string
	migrations []string
	files      map[string]string
}

// The versions, each the one before plus its migrations (test/sampleapp/README.md's tables).
var (
	v1 = version{name: "v1", what: "the baseline",
		migrations: []string{"accounts/0001", "accounts/0002", "shop/0001", "shop/0002", "shop/0003", "blog/0001"}}
	v2 = v1.then("v2", "+ accounts.0003_customer_phone_ordering (a nullable phone column)",
		"accounts/0003")
	v3 = v2.then("v3", "+ accounts.0004_customer_is_vip (NOT NULL boolean) + shop.0004_order_coupon_code (indexed column)",
		"accounts/0004", "shop/0004")
	v4 = v3.then("v4", "+ accounts.0005 (rename nickname) + shop.0005 (backfill SKUs) + shop.0006 (SKU NOT NULL) + shop.0007_demo_reprice_products (a bug)",
		"accounts/0005", "shop/0005", "shop/0006").
		with("shop/migrations/0007_demo_reprice_products.py", failingMigration)
)

// failingMigration is written into v4: a data fix with a bug, which PostgreSQL stops with
// "division by zero" after the migrations before it were applied and committed.
const failingMigration = `# Written by zdcd's demo (test/demo): a data fix with a bug. No order has a quantity over 100, so
# the divisor is 0 and PostgreSQL stops the migration with "division by zero", after the
# migrations before it were applied and committed.
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_rename_nickname_display_name'),
        ('shop', '0006_alter_product_sku_not_null'),
    ]

    operations = [
        migrations.RunSQL(
            "UPDATE shop_product SET price = price * 100"
            " / (SELECT count(*) FROM shop_order WHERE quantity > 100)",
            migrations.RunSQL.noop,
        ),
    ]
`

func (v version) then(name, what string, migrations ...string) version {
	return version{name: name, what: what,
		migrations: append(append([]string(nil), v.migrations...), migrations...), files: v.files}
}

func (v version) with(path, content string) version {
	files := map[string]string{}
	for p, c := range v.files {
		files[p] = c
	}
	files[path] = content
	v.files = files
	return v
}

// build writes the version into a directory of its own: a copy of the sample app without the
// migrations of later versions, with the Procfile and the version's files.
func (d *demo) build(v version) (string, error) {
	dir := filepath.Join(d.tmp, "versions", v.name)
	if _, err := os.Stat(dir); err == nil {
		return dir, nil // built already
	}
	if err := os.CopyFS(dir, os.DirFS(d.sample)); err != nil {
		return "", fmt.Errorf("copy the sample app: %w", err)
	}
	keep := map[string]bool{}
	for _, m := range v.migrations {
		keep[m] = true
	}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == "__pycache__" {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
			return filepath.SkipDir
		}
		parent := filepath.Base(filepath.Dir(p))
		name := e.Name()
		if e.IsDir() || parent != "migrations" || !strings.HasSuffix(name, ".py") || name == "__init__.py" || len(name) < 4 {
			return nil
		}
		app := filepath.Base(filepath.Dir(filepath.Dir(p)))
		if !keep[app+"/"+name[:4]] {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("drop later migrations from %s: %w", v.name, err)
	}
	files := map[string]string{"Procfile": procfile}
	for p, c := range v.files {
		files[p] = c
	}
	for p, c := range files {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}
