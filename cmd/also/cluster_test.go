package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

// member is one also process of a cluster test, its stderr followed line by line.
type member struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	out   strings.Builder // stdout; read only after wait
	exit  chan error
}

func startMember(t *testing.T, ctx context.Context, bin string, args ...string) *member {
	t.Helper()
	m := &member{cmd: exec.CommandContext(ctx, bin, args...), exit: make(chan error, 1)}
	stderr, err := m.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	m.cmd.Stdout = &m.out
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			m.mu.Lock()
			m.lines = append(m.lines, sc.Text())
			m.mu.Unlock()
		}
		m.exit <- m.cmd.Wait()
	}()
	t.Cleanup(func() {
		m.cmd.Process.Kill()
		<-m.exit
		m.exit <- nil
	})
	return m
}

func (m *member) count(substr string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, l := range m.lines {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

func (m *member) log() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.lines, "\n")
}

// wait returns the exit code (-1 if killed by a signal).
func (m *member) wait(t *testing.T) int {
	t.Helper()
	err := <-m.exit
	m.exit <- err
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

func waitUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// clusterSetup is what a cluster test starts from (in parallel with the others): the also
// binary, a private Redis, the test's deadline and a free loopback port for the coordinator.
func clusterSetup(t *testing.T, timeout time.Duration) (bin, redisURL string, ctx context.Context, coord string) {
	t.Helper()
	bin = buildAlso(t)
	t.Parallel()
	redisURL = storetest.StartRedis(t, storetest.RedisServerOptions{}).URL()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel) // after the members' clean-ups, which kill them
	return bin, redisURL, ctx, loopbackPort(t)
}

func loopbackPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// clusterRunArgs is a cheap CPU-bound sim batch: --epochs 6 keeps each episode busy for a
// fraction of a second, so a worker can be killed while it plays one.
func clusterRunArgs(coord, redisURL, tag, out string, n int, extra ...string) []string {
	return append([]string{"run", "--cluster", "acc", "--listen", coord, "--redis-url", redisURL, "--subset", "all",
		"--max-episodes", strconv.Itoa(n), "--max-turns", "20", "--epochs", "6", "--tag", tag, "--out", out,
		"--progress-every", "1h"}, extra...)
}

func workerArgs(coord, redisURL string, extra ...string) []string {
	return append([]string{"worker", "--cluster", "acc", "--listen", "127.0.0.1:0", "--peers", coord, "--redis-url", redisURL, "--slots", "1"}, extra...)
}

// storedByTask reads the tag's records from Redis, by task.
func storedByTask(t *testing.T, redisURL, tag string) map[string][]*sotopia.EpisodeLog {
	t.Helper()
	r, err := store.OpenRedis(context.Background(), redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	eps, err := r.Episodes(context.Background(), store.Query{Tag: tag})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*sotopia.EpisodeLog{}
	for _, ep := range eps {
		out[ep.TaskID] = append(out[ep.TaskID], ep)
	}
	return out
}

func requireEachStoredOnceDone(t *testing.T, byTask map[string][]*sotopia.EpisodeLog, n int) {
	t.Helper()
	if len(byTask) != n {
		t.Fatalf("%d tasks stored, want %d", len(byTask), n)
	}
	for task, eps := range byTask {
		if len(eps) != 1 || eps[0].Status != sotopia.StatusDone {
			var s []string
			for _, ep := range eps {
				s = append(s, fmt.Sprintf("%s attempt %d %s", ep.PK, ep.Attempt, ep.Status))
			}
			t.Errorf("task %s stored %d times: %v", task, len(eps), s)
		}
	}
}

// Issue 13's acceptance: a coordinator and 3 workers on loopback play 24 sim episodes; one worker
// is SIGKILLed while it plays; its episode is played again elsewhere and every task is stored
// exactly once, done, in Redis; the run exits 0 with the summary in the coordinator's terminal.
func TestClusterSurvivesAWorkerKilledMidRun(t *testing.T) {
	bin, redisURL, ctx, coord := clusterSetup(t, 3*time.Minute)
	const n = 24
	var workers []*member
	for range 3 {
		workers = append(workers, startMember(t, ctx, bin, workerArgs(coord, redisURL)...))
	}
	out := filepath.Join(t.TempDir(), "run")
	run := startMember(t, ctx, bin, clusterRunArgs(coord, redisURL, "acc", out, n)...)
	victim := workers[0]
	waitUntil(t, ctx, "the first worker to finish a task", func() bool { return victim.count(": done") > 0 })
	// Fed one task at a time, it is playing its next one now (or about to).
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := run.wait(t); code != 0 {
		t.Fatalf("coordinator exit %d\n%s", code, run.log())
	}
	requireEachStoredOnceDone(t, storedByTask(t, redisURL, "acc"), n)
	if run.count("left the cluster") == 0 {
		t.Errorf("the coordinator did not notice the killed worker:\n%s", run.log())
	}
	if want := fmt.Sprintf("tag acc: %d episodes, %d done, 0 failed", n, n); !strings.Contains(run.out.String(), want) {
		t.Errorf("the coordinator's summary does not say %q:\n%s", want, run.out.String())
	}
	played := 0
	for _, w := range workers {
		played += w.count(": done")
	}
	if played < n {
		t.Errorf("workers report %d played or found tasks, want at least %d", played, n)
	}
}

// A coordinator SIGKILLed mid-run is restarted with --resume: it plays only what is missing
// (the worker keeps playing what it had, and rejoins the new coordinator by itself), and every
// task ends up stored exactly once. A worker with the wrong secret never gets work.
func TestClusterCoordinatorResumesAndStrangersGetNoWork(t *testing.T) {
	bin, redisURL, ctx, coord := clusterSetup(t, 4*time.Minute)
	const n = 12
	secret := []string{"--cluster-secret", "right-secret-123"}
	worker := startMember(t, ctx, bin, workerArgs(coord, redisURL, secret...)...)
	stranger := startMember(t, ctx, bin, workerArgs(coord, redisURL, "--cluster-secret", "wrong-secret-456")...)
	work := t.TempDir()
	first := startMember(t, ctx, bin, clusterRunArgs(coord, redisURL, "res", filepath.Join(work, "a"), n, secret...)...)
	waitUntil(t, ctx, "two tasks stored", func() bool { return worker.count(": done") >= 2 })
	first.cmd.Process.Signal(syscall.SIGKILL)
	first.wait(t)
	second := startMember(t, ctx, bin, clusterRunArgs(coord, redisURL, "res", filepath.Join(work, "b"), n, append(secret, "--resume")...)...)
	if code := second.wait(t); code != 0 {
		t.Fatalf("resumed coordinator exit %d\n%s", code, second.log())
	}
	requireEachStoredOnceDone(t, storedByTask(t, redisURL, "res"), n)
	if got := stranger.count("task "); got != 0 {
		t.Errorf("the worker with the wrong secret was given %d tasks:\n%s", got, stranger.log())
	}
	for _, m := range []*member{worker, stranger, first, second} {
		if strings.Contains(m.log(), "secret-") {
			t.Errorf("a secret was logged:\n%s", m.log())
		}
	}
}

// Cluster mistakes are usage errors (exit 2) that say what is wrong, before anything starts.
func TestClusterFlagMistakes(t *testing.T) {
	t.Setenv("REDIS_OM_URL", "")
	t.Setenv("ALSO_CLUSTER_SECRET", "")
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"worker without a cluster": {[]string{"worker", "--redis-url", "redis://127.0.0.1:1/0"}, "--cluster"},
		"run without redis":        {[]string{"run", "--cluster", "c"}, "--redis-url"},
		"worker without redis":     {[]string{"worker", "--cluster", "c"}, "--redis-url"},
		"open listener, no secret": {[]string{"worker", "--cluster", "c", "--listen", "10.0.0.5:7000", "--redis-url", "redis://127.0.0.1:1/0"}, "--cluster-secret"},
		"every interface":          {[]string{"worker", "--cluster", "c", "--listen", "0.0.0.0:7000", "--cluster-secret", "x", "--redis-url", "redis://127.0.0.1:1/0"}, "not every interface"},
		"peers without a cluster":  {[]string{"run", "--peers", "127.0.0.1:7000"}, "need --cluster"},
		"bad peer":                 {[]string{"run", "--cluster", "c", "--peers", "nowhere"}, "--peers"},
		"etcd and peers":           {[]string{"worker", "--cluster", "c", "--etcd", "127.0.0.1:2379", "--peers", "127.0.0.1:7000", "--redis-url", "redis://127.0.0.1:1/0"}, "--etcd and --peers"},
		"bad etcd endpoint":        {[]string{"run", "--cluster", "c", "--etcd", "nowhere", "--redis-url", "redis://127.0.0.1:1/0"}, "--etcd"},
		"etcd without a cluster":   {[]string{"run", "--etcd", "127.0.0.1:2379"}, "need --cluster"},
		"zero slots":               {[]string{"worker", "--cluster", "c", "--slots", "0", "--redis-url", "redis://127.0.0.1:1/0"}, "--slots"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := runCLI(t, tc.args...)
			if code := exitCode(context.Background(), err); code != exitUsage || !strings.Contains(fmt.Sprint(err), tc.want) {
				t.Fatalf("exit %d, error %v: want exit %d naming %s", code, err, exitUsage, tc.want)
			}
		})
	}
}

// `also experiment --cluster` plays every cell on the cluster's workers, one cell after another.
func TestClusterExperiment(t *testing.T) {
	bin, redisURL, ctx, coord := clusterSetup(t, 3*time.Minute)
	dir := t.TempDir()
	file := filepath.Join(dir, "grid.toml")
	toml := `name = "cgrid"
[base]
model = "sim"
subset = "hard_small"
max_episodes = 3
max_turns = 6
[base.policy.also]
epochs = 5
hidden = 16
[grid]
bandit_type = ["also", "ucb1"]
`
	if err := os.WriteFile(file, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		startMember(t, ctx, bin, workerArgs(coord, redisURL)...)
	}
	exp := startMember(t, ctx, bin, "experiment", file, "--cluster", "acc", "--listen", coord, "--redis-url", redisURL,
		"--out", filepath.Join(dir, "runs"), "--progress-every", "1h")
	if code := exp.wait(t); code != 0 {
		t.Fatalf("experiment exit %d\n%s", code, exp.log())
	}
	r, err := store.OpenRedis(context.Background(), redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tags, err := r.Tags(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 2 {
		t.Fatalf("tags %v, want one per cell", tags)
	}
	for _, tag := range tags {
		requireEachStoredOnceDone(t, storedByTask(t, redisURL, tag), 3)
	}
}
