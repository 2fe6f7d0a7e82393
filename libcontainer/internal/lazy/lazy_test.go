package lazy

import "testing"

func TestValue(t *testing.T) {
	calls := 0
	v := Value[int]{New: func() int { calls++; return 42 }}
	for range 2 {
		if got := v.Get(); got != 42 {
			t.Errorf("Get() = %d", got)
		}
	}
	if calls != 1 {
		t.Errorf("New called %d times", calls)
	}
}
