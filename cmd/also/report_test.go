package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// simTags runs two small sim-world tags into one store: ALSO and random, 3 episodes of 6 turns.
func simTags(t *testing.T) string {
	t.Helper()
	st := noRedisEnv(t)
	dir := t.TempDir()
	for _, b := range []string{"also", "random"} {
		mustCLI(t, "run", "-q", "--max-episodes", "3", "--max-turns", "6", "--store", st, "--tag", "sim_"+b,
			"--bandit-type", b, "--out", filepath.Join(dir, b))
	}
	return st
}

// TestComparePlotReportOnSimRuns shares one store between the three commands: the runs are the
// slow part.
func TestComparePlotReportOnSimRuns(t *testing.T) {
	st := simTags(t)
	t.Run("compare", func(t *testing.T) { checkCompare(t, st) })
	t.Run("plot", func(t *testing.T) { checkPlot(t, st) })
	t.Run("report", func(t *testing.T) { checkReport(t, st) })
}

func checkCompare(t *testing.T, st string) {
	out := mustCLI(t, "compare", "--store", st, "--tags", "sim_also,sim_random")
	for _, want := range []string{"sim_also (all): 3 tasks: 3 scored, 0 failed, 0 interrupted", "sim_random (all)",
		"cum. regret", "paired differences (tag - sim_also)", "10000 resamples", "Holm-corrected across all 30 rows"} {
		if !strings.Contains(out, want) {
			t.Errorf("compare output lacks %q:\n%s", want, out)
		}
	}
	csvOut := mustCLI(t, "compare", "--store", st, "--tags", "sim_also,sim_random", "--baseline", "sim_random", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	diffs := 0
	for _, r := range rows[1:] {
		if r[0] == "difference" {
			diffs++
			if r[1] != "sim_also" || r[2] != "sim_random" || r[6] != "3" {
				t.Errorf("difference row %v", r)
			}
		}
	}
	if diffs != 30 {
		t.Errorf("%d difference rows, want 30 (3 seats x 10 metrics)", diffs)
	}
	paper := mustCLI(t, "compare", "--store", st, "--tags", "sim_also,sim_random", "--paper-table", "--format", "md")
	if !strings.Contains(paper, "| tag | All Goal | All Rel | All Know | All Overall | Hard Goal | Hard Rel | Hard Know | Hard Overall |") {
		t.Errorf("paper table:\n%s", paper)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", "--store", st}, "--tags or --experiment is required"},
		{[]string{"compare", "--store", st, "--tags", "sim_also,nope"}, "no episodes under tag nope; known tags: sim_also, sim_random"},
		{[]string{"compare", "--store", st, "--tags", "sim_also,sim_also"}, "given twice"},
		{[]string{"compare", "--store", st, "--tags", "sim_also", "--baseline", "x"}, `--baseline "x" is not one of --tags`},
		{[]string{"compare", "--store", st, "--tags", "sim_also", "--format", "xls"}, `--format "xls"`},
		{[]string{"compare", "--store", st, "--tags", "sim_also", "--paper-table", "--eval-set", "hard"}, "drop --eval-set"},
	} {
		_, _, err := runCLI(t, bad.args...)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("also %s: %v, want %q", strings.Join(bad.args, " "), err, bad.want)
		}
	}
	_, _, err = runCLI(t, "compare", "--store", st, "--tags", "sim_also", "--format", "xls")
	if code := exitCode(context.Background(), err); code != 2 {
		t.Errorf("bad --format exits %d, want 2", code)
	}
}

// checkPlot: every figure, as PNG and SVG, and none replaced.
func checkPlot(t *testing.T, st string) {
	dir := filepath.Join(t.TempDir(), "figs")
	out := mustCLI(t, "plot", "--store", st, "--tags", "sim_also,sim_random", "--out", dir)
	want := []string{"arms_sim_also_p1", "arms_sim_also_p2", "arms_sim_random_p1", "arms_sim_random_p2",
		"reward_p1", "reward_p2", "regret_p1", "regret_p2", "dimensions_p1", "dimensions_p2", "dimensions_avg"}
	for _, name := range want {
		for _, ext := range []string{".png", ".svg"} {
			path := filepath.Join(dir, name+ext)
			if !strings.Contains(out, path) {
				t.Errorf("output does not list %s", path)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if ext == ".png" {
				img, err := png.Decode(bytes.NewReader(b))
				if err != nil || img.Bounds().Dx() < 600 {
					t.Errorf("%s: %v, bounds %v", path, err, img.Bounds())
				}
			} else if !bytes.Contains(b, []byte("<svg")) {
				t.Errorf("%s is not SVG", path)
			}
		}
	}
	// A figure already there is never replaced.
	_, _, err := runCLI(t, "plot", "--store", st, "--tags", "sim_also", "--out", dir)
	if err == nil || !strings.Contains(err.Error(), "arms_sim_also_p1.png") {
		t.Errorf("second plot into the same directory: %v", err)
	}
}

// chromiumPath finds Debian's chromium; a machine without it skips, CI (env CI set) fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (.ci/run installs it): the report's DOM test cannot run")
	}
	t.Skip("chromium not installed")
	return ""
}

// checkReport opens the report in headless chromium and checks the DOM.
func checkReport(t *testing.T, st string) {
	report := filepath.Join(t.TempDir(), "report.html")
	mustCLI(t, "report", "--store", st, "--tags", "sim_also,sim_random", "--out", report)
	if _, _, err := runCLI(t, "report", "--store", st, "--tags", "sim_also", "--out", report); err == nil || !strings.Contains(err.Error(), "never replaced") {
		t.Errorf("second report onto the same file: %v", err)
	}
	page, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	// Self-contained: nothing is fetched (the only URLs are SVG's XML namespaces).
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:|//)|@import|url\(\s*["']?https?:`).Find(page); m != nil {
		t.Errorf("the report makes an external request: %s", m)
	}

	chromium := chromiumPath(t)
	// Measure horizontal overflow at a laptop width: a copy of the report writes the page's scroll
	// width into the DOM, which --dump-dom then prints.
	probe := bytes.Replace(page, []byte("</body>"),
		[]byte(`<script>document.body.setAttribute("data-scroll-width", document.documentElement.scrollWidth)</script></body>`), 1)
	probePath := filepath.Join(t.TempDir(), "probe.html")
	if err := os.WriteFile(probePath, probe, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+t.TempDir(),
		"--window-size=1366,900", "--dump-dom", "file://"+probePath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	d := string(dom)
	checks := []struct{ what, pattern string }{
		{"the comparison table of each tag", `<table class="compare" data-tag="sim_also">`},
		{"the comparison table of each tag", `<table class="compare" data-tag="sim_random">`},
		{"the paired differences", `<table class="differences">`},
		{"the paper table", `<table class="paper">`},
		{"an inline SVG plot", `<figure class="plot" id="fig-reward_p1"><svg`},
		{"the arm heat map", `id="fig-arms_sim_also_p1"`},
		{"a transcript", `<table class="turns transcript">`},
		{"a turn with arm, probability and reward", `<span class="prob">0.`},
		{"an arm's strategy text", `<div class="armtext">`},
		{"the tag configuration", "bandit_type"},
	}
	for _, c := range checks {
		if !strings.Contains(d, c.pattern) {
			t.Errorf("DOM lacks %s (%s)", c.what, c.pattern)
		}
	}
	if n := strings.Count(d, `class="turn-row"`); n < 6 {
		t.Errorf("%d transcript turns in the DOM, want every turn of 6 episodes", n)
	}
	m := regexp.MustCompile(`data-scroll-width="(\d+)"`).FindStringSubmatch(d)
	if m == nil {
		t.Fatal("the probe script did not run")
	}
	w, _ := strconv.Atoi(m[1])
	t.Logf("page width at a 1366 px window: %d px", w)
	if w > 1366 {
		t.Errorf("the page is %d px wide at a 1366 px window: it scrolls sideways", w)
	}
}

// An experiment's cells are read from the store its file names, in file order; a cell that has
// not run is named with what to do.
func TestCompareReadsAnExperimentsCells(t *testing.T) {
	noRedisEnv(t)
	dir := t.TempDir()
	grid := func(name string, bandits string) string {
		path := filepath.Join(dir, name+".toml")
		body := "name = \"" + name + "\"\n[base]\nmodel = \"sim\"\nsubset = \"hard_small\"\nmax_episodes = 2\nmax_turns = 4\nstore = \"" +
			filepath.Join(dir, "store") + "\"\n[grid]\nbandit_type = [" + bandits + "]\n"
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	exp := grid("g", `"random", "ucb1"`)
	mustCLI(t, "experiment", exp, "-q", "--out", filepath.Join(dir, "runs"))
	out := mustCLI(t, "compare", "--experiment", exp, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, r := range rows[1:] {
		if r[0] == "score" && (len(tags) == 0 || tags[len(tags)-1] != r[1]) {
			tags = append(tags, r[1])
		}
	}
	if len(tags) != 2 || !strings.HasPrefix(tags[0], "g_random") || !strings.HasPrefix(tags[1], "g_ucb1") {
		t.Errorf("tags read from the experiment: %v", tags)
	}
	more := grid("g", `"random", "ucb1", "exp3"`)
	_, _, err = runCLI(t, "compare", "--experiment", more)
	if err == nil || !strings.Contains(err.Error(), `cell "bandit_type=exp3"`) || !strings.Contains(err.Error(), "also experiment "+more) {
		t.Errorf("unrun cell: %v", err)
	}
	if _, _, err := runCLI(t, "compare", "--experiment", more, "--tags", "a"); err == nil || !strings.Contains(err.Error(), "use one") {
		t.Errorf("--tags with --experiment: %v", err)
	}
}
