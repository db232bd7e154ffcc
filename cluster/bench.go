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
	fmt.Fprintf(w, "%-8s %-10s %-12s %-9s %-6s\n", "members", "wall", "episodes/min", "speed-up", "ideal")
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
		rows = append(rows, row)
		fmt.Fprintf(w, "%-8d %-10s %-12.2f %-9.2f %-6.2f\n", n, wall.Round(100*time.Millisecond), row.PerMin, row.Speedup, float64(n)/float64(rows[0].Members))
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
	if _, err := session.Execute(ctx, cfg, session.Options{Store: st, Dispatch: co}); err != nil {
		return 0, err
	}
	return co.Elapsed, nil
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
