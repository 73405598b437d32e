package config

import (
	"strings"
	"testing"
)

// BenchmarkRedact: Heroku-style secrets (a 64-hex password, a UUID key) over 1.3 MB of output
// that holds none: the anchor check keeps it at memory speed.
func BenchmarkRedact(b *testing.B) {
	r := NewRedactor("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "01234567-89ab-cdef-0123-456789abcdef")
	text := strings.Repeat(`  {"app": "shop", "name": "0007_remove_price", "statement": "ALTER TABLE \"shop_product\" ADD COLUMN \"sku\" varchar(20) DEFAULT 'a9f8' NOT NULL", "fix": "..."}`+"\n", 1<<13)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = r.Redact(text)
	}
}
