package loop

import "testing"

func TestDeferChoice(t *testing.T) {
	cases := []struct {
		name                string
		seat, next          int
		hidden, callsModels bool
		want                bool
	}{
		{"seat that does not act next", 1, 0, false, false, true},
		{"seat that acts next", 0, 0, false, false, false},
		{"hidden-state world", 1, 0, true, false, false},
		{"policy that calls the models", 1, 0, false, true, false},
	}
	for _, tc := range cases {
		if got := DeferChoice(tc.seat, tc.next, tc.hidden, tc.callsModels); got != tc.want {
			t.Errorf("%s: DeferChoice(%d, %d, %v, %v) = %v, want %v", tc.name, tc.seat, tc.next, tc.hidden, tc.callsModels, got, tc.want)
		}
	}
}
