package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/also-project/also/sotopia/store/storetest"
)

// startEtcd runs a one-node etcd (Debian etcd-server) on free loopback ports and returns its
// client endpoint. Without the binary the test is skipped locally and fails in CI.
func startEtcd(t *testing.T, ctx context.Context) string {
	t.Helper()
	bin, err := exec.LookPath("etcd")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("etcd not found: .ci/run installs Debian's etcd-server")
		}
		t.Skip("etcd not found (apt-get install etcd-server)")
	}
	client, peer := loopbackPort(t), loopbackPort(t)
	cmd := exec.CommandContext(ctx, bin, "--name", "also-test", "--data-dir", filepath.Join(t.TempDir(), "etcd"),
		"--listen-client-urls", "http://"+client, "--advertise-client-urls", "http://"+client,
		"--listen-peer-urls", "http://"+peer, "--initial-advertise-peer-urls", "http://"+peer,
		"--initial-cluster", "also-test=http://"+peer)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitUntil(t, ctx, "etcd to listen", func() bool {
		c, err := net.DialTimeout("tcp", client, 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return client
}

// Membership through etcd (protoactor-go's etcd provider) instead of --peers: the workers name
// only etcd, the coordinator finds them there, and a worker killed mid-run loses nothing.
func TestClusterOverEtcd(t *testing.T) {
	bin, redisURL, ctx, coord := clusterSetup(t, 3*time.Minute)
	endpoint := startEtcd(t, ctx)
	const n = 8
	var workers []*member
	for range 2 {
		workers = append(workers, startMember(t, ctx, bin, "worker", "--cluster", "acc", "--listen", "127.0.0.1:0",
			"--etcd", endpoint, "--redis-url", redisURL, "--slots", "1"))
	}
	out := filepath.Join(t.TempDir(), "run")
	run := startMember(t, ctx, bin, clusterRunArgs(coord, redisURL, "etcd", out, n, "--etcd", endpoint)...)
	victim := workers[0]
	waitUntil(t, ctx, "the first worker to finish a task", func() bool { return victim.count(": done") > 0 })
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := run.wait(t); code != 0 {
		t.Fatalf("coordinator exit %d\n%s", code, run.log())
	}
	requireEachStoredOnceDone(t, storedByTask(t, redisURL, "etcd"), n)
	if workers[1].count(": done") == 0 {
		t.Errorf("the surviving worker played nothing:\n%s", workers[1].log())
	}
}

// An etcd that does not answer is an error naming it within seconds, not a member that hangs
// (protoactor's provider would wait for it forever).
func TestUnreachableEtcdIsAnError(t *testing.T) {
	t.Setenv("ALSO_CLUSTER_SECRET", "")
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{})
	closed := loopbackPort(t) // nothing listens there any more
	_, _, err := runCLI(t, "worker", "--cluster", "c", "--listen", "127.0.0.1:0", "--etcd", closed, "--redis-url", srv.URL())
	if code := exitCode(context.Background(), err); code != exitError || !strings.Contains(fmt.Sprint(err), "etcd does not answer") {
		t.Fatalf("exit %d, error %v: want exit %d saying etcd does not answer", code, err, exitError)
	}
}
