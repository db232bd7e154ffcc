package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/also-project/also/config"
	"github.com/also-project/also/session"
	"github.com/also-project/also/sotopia/store"
)

// BenchConfig is `also bench cluster`: episodes per minute of one CPU-bound sim batch (ALSO at
// Dim dimensions) played by 1, 2, ... worker processes of one core each.
type BenchConfig struct {
	Binary   string // the also binary the workers run
	Members  []int  // member counts to measure, in order
	Episodes int    // episodes per measurement
	Dim      int    // sim embedding dimension (the surrogate's input is twice this)
	MaxTurns int
	RedisURL string // the shared store; the bench's own tags are fresh each measurement
	Seed     int64
}

// BenchRow is one measurement.
type BenchRow struct {
	Members  int
	Wall     time.Duration
	PerMin   float64
	Speedup  float64 // against the first row
	Episodes int
	// CoreIdeal is the speed-up the members' cores allow: the sum of their measured speeds over
	// the first row's (cloud cores are not all equal; see coreSpeeds). 0 when not measured.
	CoreIdeal float64
}

// Bench runs each measurement and prints a table to w.
func Bench(ctx context.Context, bc BenchConfig, w io.Writer) ([]BenchRow, error) {
	if len(bc.Members) == 0 || bc.Episodes < 1 {
		return nil, errors.New("bench cluster: give --members and --episodes >= 1")
	}
	for _, n := range bc.Members {
		if n < 1 {
			return nil, fmt.Errorf("bench cluster: --members %d: must be at least 1", n)
		}
	}
	taskset, _ := exec.LookPath("taskset")
	fmt.Fprintf(w, "also bench cluster: ALSO (both seats), sim world, %d-d embeddings, %d episodes of %d turns per measurement\n", bc.Dim, bc.Episodes, bc.MaxTurns)
	fmt.Fprintf(w, "each member: one worker process, --slots 1, GOMAXPROCS=1%s; machine: %d CPUs, load average %s\n",
		map[bool]string{true: ", pinned to one core (taskset)", false: " (taskset not found: not pinned)"}[taskset != ""], runtime.NumCPU(), loadAverage())
	speeds := coreSpeeds(ctx, bc, taskset, w)
	fmt.Fprintf(w, "%-8s %-10s %-12s %-9s %-6s %s\n", "members", "wall", "episodes/min", "speed-up", "ideal", "ideal (these cores)")
	var rows []BenchRow
	for _, n := range bc.Members {
		wall, err := benchOnce(ctx, bc, n, taskset)
		if err != nil {
			return rows, err
		}
		row := BenchRow{Members: n, Wall: wall, Episodes: bc.Episodes, PerMin: float64(bc.Episodes) / wall.Minutes()}
		row.Speedup = 1
		if len(rows) > 0 {
			row.Speedup = row.PerMin / rows[0].PerMin
		}
		if speeds != nil {
			row.CoreIdeal = speedOf(speeds, n) / speedOf(speeds, bc.Members[0])
		}
		rows = append(rows, row)
		coreIdeal := "-"
		if row.CoreIdeal > 0 {
			coreIdeal = fmt.Sprintf("%.2f", row.CoreIdeal)
		}
		fmt.Fprintf(w, "%-8d %-10s %-12.2f %-9.2f %-6.2f %s\n", n, wall.Round(100*time.Millisecond), row.PerMin, row.Speedup, float64(n)/float64(rows[0].Members), coreIdeal)
	}
	fmt.Fprintf(w, "load average after: %s\n", loadAverage())
	return rows, nil
}

// benchOnce starts n pinned workers, waits for them to join a coordinator in this process, and
// times the batch from the first placement to the last stored episode.
func benchOnce(ctx context.Context, bc BenchConfig, n int, taskset string) (time.Duration, error) {
	coord, err := freeLoopback()
	if err != nil {
		return 0, err
	}
	name := fmt.Sprintf("bench%d", time.Now().UnixNano())
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			p.Process.Signal(syscall.SIGTERM)
			p.Wait()
		}
	}()
	for i := range n {
		args := []string{bc.Binary, "worker", "--cluster", name, "--listen", "127.0.0.1:0", "--peers", coord, "--redis-url", bc.RedisURL, "--slots", "1"}
		if taskset != "" {
			args = append([]string{taskset, "-c", strconv.Itoa(i % runtime.NumCPU())}, args...)
		}
		p := exec.CommandContext(wctx, args[0], args[1:]...)
		p.Env = append(os.Environ(), "GOMAXPROCS=1")
		if err := p.Start(); err != nil {
			return 0, err
		}
		procs = append(procs, p)
	}
	cfg := config.DefaultRun()
	cfg.Subset, cfg.MaxEpisodes, cfg.MaxTurns, cfg.Sim.Dim, cfg.Seed = "all", bc.Episodes, bc.MaxTurns, bc.Dim, bc.Seed
	cfg.Tag = name
	out, err := os.MkdirTemp("", "also-bench-cluster-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(out)
	cfg.Out = filepath.Join(out, "run")
	cfg.Store = filepath.Join(out, "store")
	st, err := store.OpenRedis(ctx, bc.RedisURL)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	co := &Coordinator{Node: NodeConfig{Cluster: name, Listen: coord}, WaitForWorkers: n}
	defer co.Close()
	o, err := session.Execute(ctx, cfg, session.Options{Store: st, Dispatch: co})
	if err != nil {
		return 0, err
	}
	// A batch that did not play whole is no measurement (its time is not of Episodes episodes).
	if sum := o.Summary; sum.Done != bc.Episodes || sum.Stopped != "" {
		err := fmt.Errorf("bench cluster: %d member(s): %d episodes played, %d done, %d failed, want %d done", n, sum.Episodes, sum.Done, sum.Failed, bc.Episodes)
		if sum.Stopped != "" {
			err = fmt.Errorf("%w (stopped early: %s)", err, sum.Stopped)
		}
		return 0, err
	}
	return co.Elapsed, nil
}

// coreSpeeds times the same surrogate training alone on each core the members are pinned to
// (`bench surrogate --dim 1024`, one thread): on a shared cloud machine one vCPU can be much
// slower than another (a busy neighbour), which caps the speed-up below the member count. Nil
// when the cores cannot be pinned or a calibration fails (the column then shows "-").
func coreSpeeds(ctx context.Context, bc BenchConfig, taskset string, w io.Writer) []float64 {
	if taskset == "" {
		return nil
	}
	most := 0
	for _, n := range bc.Members {
		most = max(most, n)
	}
	speeds := make([]float64, min(most, runtime.NumCPU()))
	for c := range speeds {
		p := exec.CommandContext(ctx, taskset, "-c", strconv.Itoa(c), bc.Binary, "bench", "surrogate", "--dim", "1024", "--repeat", "1", "--floor-budget", "0")
		p.Env = append(os.Environ(), "GOMAXPROCS=1")
		out, err := p.Output()
		ms, ok := benchMillis(string(out))
		if err != nil || !ok || ms <= 0 {
			fmt.Fprintf(w, "core speeds: calibration on core %d failed (%v); the cores' ideal is not shown\n", c, err)
			return nil
		}
		speeds[c] = 1 / ms
		fmt.Fprintf(w, "core %d alone: %.0f ms per surrogate episode (bench surrogate --dim 1024)\n", c, ms)
	}
	return speeds
}

// speedOf is the summed speed of the cores n members are pinned to (round-robin: members beyond
// the cores share them and add nothing).
func speedOf(speeds []float64, n int) float64 {
	sum := 0.0
	for _, s := range speeds[:min(n, len(speeds))] {
		sum += s
	}
	return sum
}

// benchMillis reads bench surrogate's last line, go_ms_per_episode_bandit=<ms>.
func benchMillis(out string) (float64, bool) {
	const key = "go_ms_per_episode_bandit="
	i := strings.LastIndex(out, key)
	if i < 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(out[i+len(key):]), 64)
	return v, err == nil
}

func freeLoopback() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
