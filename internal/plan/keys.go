package plan

import "strings"

// Minus returns the keys of a that are not in b, in a's order (never nil).
func Minus(a, b []MigrationKey) []MigrationKey {
	in := make(map[MigrationKey]bool, len(b))
	for _, k := range b {
		in[k] = true
	}
	out := []MigrationKey{}
	for _, k := range a {
		if !in[k] {
			out = append(out, k)
		}
	}
	return out
}

// SameSet reports whether a and b hold the same keys, whatever their order.
func SameSet(a, b []MigrationKey) bool {
	return len(Minus(a, b)) == 0 && len(Minus(b, a)) == 0
}

// JoinKeys writes keys as "app.name, app.name" for messages.
func JoinKeys(keys []MigrationKey) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = k.String()
	}
	return strings.Join(s, ", ")
}
