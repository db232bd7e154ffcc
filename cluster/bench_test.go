package cluster

import "testing"

func TestBenchMillisReadsTheLastLine(t *testing.T) {
	out := "repeat 0: 1300.0 ms for 19 retrains\ngo_ms_per_episode_bandit=1234.5\n"
	if ms, ok := benchMillis(out); !ok || ms != 1234.5 {
		t.Fatalf("benchMillis = %v, %v", ms, ok)
	}
	if _, ok := benchMillis("no result line\n"); ok {
		t.Fatal("a missing result line was read as a figure")
	}
}

// The cores' ideal counts each core once: a slow second core caps two members below 2, and a
// third member on a 2-core machine adds nothing.
func TestSpeedOfCountsEachPinnedCoreOnce(t *testing.T) {
	speeds := []float64{1, 0.75}
	for n, want := range map[int]float64{1: 1, 2: 1.75, 3: 1.75} {
		if got := speedOf(speeds, n); got != want {
			t.Errorf("speedOf(%v, %d) = %v, want %v", speeds, n, got, want)
		}
	}
}
