package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/also-project/also/cluster"
	"github.com/also-project/also/sotopia/store"
)

// newBenchClusterCmd is `also bench cluster`: episodes per minute of a CPU-bound sim batch with
// 1, 2, ... one-core members, and the speed-up against one member.
func newBenchClusterCmd() *cobra.Command {
	bc := cluster.BenchConfig{Members: []int{1, 2}, Episodes: 8, Dim: 4096, MaxTurns: 20, Seed: 1}
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Episodes per minute with 1, 2, ... one-core cluster members (ALSO at 4096-d, sim world)",
		Long: `Starts N worker processes of this binary (GOMAXPROCS=1, --slots 1, each pinned to its own core
with taskset when available), a coordinator in this process, and times one sim batch of ALSO on
both seats at --embed-dim (the surrogate retraining makes it CPU-bound) from the first placement
to the last stored episode. Prints episodes per minute per member count, the speed-up against the
first count and the ideal. Without --redis-url it starts a private redis-server (from PATH) on a
free loopback port for the run's store.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bin, err := os.Executable()
			if err != nil {
				return err
			}
			bc.Binary = bin
			if bc.RedisURL == "" {
				url, stop, err := privateRedis(cmd.Context())
				if err != nil {
					return err
				}
				defer stop()
				bc.RedisURL = url
			}
			_, err = cluster.Bench(cmd.Context(), bc, cmd.OutOrStdout())
			return err
		},
	}
	fs := cmd.Flags()
	fs.IntSliceVar(&bc.Members, "members", bc.Members, "member counts to measure (one core each)")
	fs.IntVar(&bc.Episodes, "episodes", bc.Episodes, "episodes per measurement")
	fs.IntVar(&bc.Dim, "embed-dim", bc.Dim, "sim embedding dimension (the surrogate's input is twice this)")
	fs.IntVar(&bc.MaxTurns, "max-turns", bc.MaxTurns, "turns per episode")
	fs.StringVar(&bc.RedisURL, "redis-url", "", "shared store (default: a private redis-server on loopback)")
	return cmd
}

// privateRedis starts redis-server without persistence on a free loopback port.
func privateRedis(ctx context.Context) (string, func(), error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, errors.New("bench cluster needs Redis: give --redis-url, or install redis-server (Debian: redis-server)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "also-bench-redis-")
	if err != nil {
		return "", nil, err
	}
	p := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	if err := p.Start(); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	stop := func() {
		p.Process.Kill()
		p.Wait()
		os.RemoveAll(dir)
	}
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := store.OpenRedis(ctx, url)
		if err == nil {
			r.Close()
			return url, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("private redis-server on port %d did not answer: %w", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
