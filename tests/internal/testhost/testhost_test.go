package testhost

import "testing"

func TestUnescapeMount(t *testing.T) {
	if got := UnescapeMount(`/a\040b\134c`); got != `/a b\c` {
		t.Errorf("UnescapeMount = %q", got)
	}
	if got := UnescapeMount(`/tail\04`); got != `/tail\04` {
		t.Errorf("short escape: %q", got)
	}
}
