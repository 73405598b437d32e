package plan

import (
	"reflect"
	"testing"
)

func TestKeySets(t *testing.T) {
	a, b, c := MigrationKey{"shop", "0001"}, MigrationKey{"shop", "0002"}, MigrationKey{"blog", "0001"}
	if got := Minus([]MigrationKey{a, b, c}, []MigrationKey{b}); !reflect.DeepEqual(got, []MigrationKey{a, c}) {
		t.Errorf("Minus = %v", got)
	}
	if got := Minus(nil, []MigrationKey{a}); got == nil || len(got) != 0 {
		t.Errorf("Minus of nothing = %#v, want an empty non-nil slice", got)
	}
	if !SameSet([]MigrationKey{a, b}, []MigrationKey{b, a}) || SameSet([]MigrationKey{a}, []MigrationKey{a, b}) {
		t.Error("SameSet compares sets")
	}
	if got := JoinKeys([]MigrationKey{a, c}); got != "shop.0001, blog.0001" {
		t.Errorf("JoinKeys = %q", got)
	}
}
