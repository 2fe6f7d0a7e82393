package table

import (
	"slices"
	"testing"
)

func TestTable(t *testing.T) {
	tb := Table[string, int]{{"a", 1}, {"b", 2}}
	if v, ok := tb.Lookup("b"); !ok || v != 2 {
		t.Errorf("Lookup(b) = %d, %v", v, ok)
	}
	if v, ok := tb.Lookup("c"); ok || v != 0 {
		t.Errorf("Lookup(c) = %d, %v", v, ok)
	}
	if !tb.Has("a") || tb.Has("") {
		t.Error("Has")
	}
	if k := tb.Keys(); !slices.Equal(k, []string{"a", "b"}) {
		t.Errorf("Keys() = %q", k)
	}
	if k, dup := tb.Duplicate(); dup {
		t.Errorf("Duplicate() = %q", k)
	}
	if k, dup := append(tb, tb[0]).Duplicate(); !dup || k != any("a") {
		t.Errorf("Duplicate() of a table with a twice = %q, %v", k, dup)
	}
}
