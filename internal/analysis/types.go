package analysis

import "github.com/zdcd/zdcd/internal/sqlparse"

// canonical folds type aliases to one name.
func canonical(t sqlparse.Type) sqlparse.Type {
	switch t.Name {
	case "character varying":
		t.Name = "varchar"
	case "character", "char":
		t.Name = "bpchar"
	case "decimal":
		t.Name = "numeric"
	case "timestamp with time zone":
		t.Name = "timestamptz"
	case "timestamp without time zone":
		t.Name = "timestamp"
	case "time with time zone":
		t.Name = "timetz"
	case "bit varying":
		t.Name = "varbit"
	}
	return t
}

// Coercible reports whether changing a column from type from to type to is binary coercible in
// PostgreSQL: the table is not rewritten and no index rebuilt (only a brief ACCESS EXCLUSIVE lock).
// Anything not known to be coercible is reported as a rewrite.
func Coercible(from, to sqlparse.Type) bool {
	from, to = canonical(from), canonical(to)
	if from.Array != to.Array || from.Schema != to.Schema {
		return false
	}
	if from.Name == to.Name && equalMods(from.Mods, to.Mods) {
		return true
	}
	switch {
	case from.Name == "varchar" && to.Name == "varchar":
		return len(to.Mods) == 0 || (len(from.Mods) == 1 && to.Mods[0] >= from.Mods[0])
	case from.Name == "varchar" && to.Name == "text":
		return true
	case from.Name == "text" && to.Name == "varchar":
		return len(to.Mods) == 0
	case from.Name == "varbit" && to.Name == "varbit":
		return len(to.Mods) == 0 || (len(from.Mods) == 1 && to.Mods[0] >= from.Mods[0])
	case from.Name == "numeric" && to.Name == "numeric":
		if len(to.Mods) == 0 {
			return true
		}
		if len(from.Mods) == 0 {
			return false
		}
		fromScale, toScale := 0, 0
		if len(from.Mods) > 1 {
			fromScale = from.Mods[1]
		}
		if len(to.Mods) > 1 {
			toScale = to.Mods[1]
		}
		return fromScale == toScale && to.Mods[0] >= from.Mods[0]
	case from.Name == to.Name && (from.Name == "timestamp" || from.Name == "timestamptz" || from.Name == "time" ||
		from.Name == "timetz" || from.Name == "interval"):
		// Precision can grow (or be removed) without a rewrite.
		return len(to.Mods) == 0 || (len(from.Mods) == 1 && to.Mods[0] >= from.Mods[0])
	case from.Name == "cidr" && to.Name == "inet":
		return true
	}
	return false
}

func equalMods(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
