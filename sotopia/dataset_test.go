package sotopia

import "testing"

func TestEmbeddedDatasetCounts(t *testing.T) {
	d, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		subset string
		n      int
	}{{"all", 450}, {"hard", 70}, {"hard_small", 14}, {"non_hard", 380}} {
		ts, err := d.Subset(c.subset)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != c.n {
			t.Errorf("subset %s: %d tasks, want %d", c.subset, len(ts), c.n)
		}
	}
	if _, err := d.Subset("easy"); err == nil {
		t.Error("unknown subset accepted")
	}
	if !d.IsHard("01H7VFHNV13MHN97GAH73E3KM8") || d.IsHard("01H7VFHP3DPGRXH1Y500VQKFZA") {
		t.Error("IsHard wrong")
	}
}

func TestStrategyVersions(t *testing.T) {
	want := map[string]int{"v1": 13, "v2": 10, "v3": 13, "v4": 100, "v5": 10, "v6": 10, "s6": 6, "s24": 24, "s48": 48,
		"v3_size3": 4, "v4_size24": 25, "v3_diverse2_12": 13}
	for v, n := range want {
		s, err := Strategies(v)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if len(s) != n {
			t.Errorf("%s: %d strategies, want %d", v, len(s), n)
		}
		if s[0].Description != "" {
			t.Errorf("%s: arm 0 is not the baseline", v)
		}
	}
	if _, err := Strategies("v9"); err == nil {
		t.Error("unknown version accepted")
	}
	v3, _ := Strategies("v3")
	if got := ArmText("BG", v3[0]); got != "BG" {
		t.Errorf("baseline arm text %q", got)
	}
	if got := ArmText("BG", v3[1]); got != "BG\n"+v3[1].Description+" \n If you thinking this strategy is not helpful, please ignore it." {
		t.Errorf("arm text %q", got)
	}
}
