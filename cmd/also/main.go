// Command also runs online social-strategy optimisation of LLM agents on Sotopia: episodes in the
// simulated world (the default: no key, no network) or with real models, stores, evaluation and
// benchmarks. All logic lives in the packages below; this command parses flags and wires them.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/also-project/also/nn"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	// go-redis logs every failed dial to stderr by itself; during an outage the store already says
	// what matters (pending episodes), so its lines go to our logger at debug level.
	redis.SetLogger(redisLog{})
	tuneGC(os.Getenv)
	reserveProc(os.Getenv)
	if err := nn.KernelsError(); err != nil {
		fmt.Fprintln(os.Stderr, "also:", err)
		os.Exit(2)
	}
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "also:", err)
		os.Exit(exitCode(ctx, err))
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "also",
		Short:         "Online social-strategy optimisation of LLM agents on Sotopia (ALSO)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	bench := &cobra.Command{Use: "bench", Short: "Benchmarks: surrogate speed, bandit regret, LLM path throughput"}
	bench.AddCommand(benchCommands()...)
	root.AddCommand(newRunCmd(), newPromptCmd(), newDataCmd(), bench)
	root.AddCommand(extraCommands()...)
	strictUsage(root)
	return root
}

type redisLog struct{}

func (redisLog) Printf(ctx context.Context, format string, v ...any) {
	slog.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

// tuneGC collects less often than Go's default: episodes allocate many short-lived prompts and
// JSON bodies around a small live heap, and at hundreds of concurrent conversations the default
// collector costs a sixth of the CPU. A soft limit keeps the heap bounded all the same. The
// user's GOGC and GOMEMLIMIT win.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(4 << 30)
	}
}

// reserveProc gives Go one more P than the cores it found, and the training pools those cores
// (nn.DefaultWorkers). With as many Ps as training workers, a model's reply that arrives while
// both train waits for a worker's 10 ms time slice to end before its goroutine runs: measured,
// 25 ms more per model call with 16 episodes at 4096-d. The spare P runs the replies and the
// actors' messages at once, and the kernel shares the cores among the threads. An explicit
// GOMAXPROCS is left as it is.
func reserveProc(getenv func(string) string) {
	if getenv("GOMAXPROCS") != "" {
		return
	}
	cores := runtime.GOMAXPROCS(0)
	nn.SetDefaultWorkers(cores)
	runtime.GOMAXPROCS(cores + 1)
}
