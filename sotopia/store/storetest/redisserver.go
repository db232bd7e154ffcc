// Package storetest holds the store contract suite and a helper that runs a real redis-server on a
// loopback port for tests (like net/http/httptest for HTTP).
package storetest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisServerOptions configures StartRedis.
type RedisServerOptions struct {
	// Password, if set, is required from clients (--requirepass).
	Password string
	// Persist keeps data across Stop/Start (append-only file, fsync always); otherwise the
	// server keeps nothing on disk.
	Persist bool
}

// RedisServer is a redis-server child process on 127.0.0.1, stopped when the test ends.
type RedisServer struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	opts RedisServerOptions

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// RedisServerBinary finds redis-server. When it is missing the test is skipped, except when the
// CI environment variable is set: CI must run the Redis tests, so there it fails.
func RedisServerBinary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err == nil {
		return bin
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("redis-server not found (%v) but CI is set: CI must run the Redis tests; install it (apt-get install redis-server)", err)
	}
	t.Skipf("redis-server not found (%v): skipping the Redis tests; install it with apt-get install redis-server", err)
	return ""
}

// StartRedis starts a fresh redis-server on a free loopback port.
func StartRedis(t testing.TB, opts RedisServerOptions) *RedisServer {
	t.Helper()
	s := &RedisServer{t: t, bin: RedisServerBinary(t), dir: t.TempDir(), opts: opts}
	var err error
	for attempt := 0; attempt < 3; attempt++ { // the free port can be taken between probe and bind
		if s.port, err = freePort(); err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		if err = s.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Addr is host:port.
func (s *RedisServer) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the redis:// URL with the password, if any.
func (s *RedisServer) URL() string { return s.URLWithPassword(s.opts.Password) }

// URLWithPassword is the server's URL carrying the given password (for wrong-password tests).
func (s *RedisServer) URLWithPassword(pw string) string {
	u := url.URL{Scheme: "redis", Host: s.Addr(), Path: "/0"}
	if pw != "" {
		u.User = url.UserPassword("", pw)
	}
	return u.String()
}

func (s *RedisServer) start() error {
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--daemonize", "no", "--logfile", "", "--protected-mode", "no"}
	if s.opts.Persist {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	if s.opts.Password != "" {
		args = append(args, "--requirepass", s.opts.Password)
	}
	cmd := exec.Command(s.bin, args...)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	if err := s.waitReady(done); err != nil {
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("%v; output: %s", err, out.String())
	}
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	return nil
}

func (s *RedisServer) waitReady(done <-chan struct{}) error {
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Password: s.opts.Password, Protocol: 2,
		DisableIdentity: true, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-done:
			return fmt.Errorf("redis-server exited early")
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server not ready after 10s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Start restarts a stopped server on the same port (and, with Persist, the same data).
func (s *RedisServer) Start() {
	s.t.Helper()
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if running {
		return
	}
	var err error
	for attempt := 0; attempt < 20; attempt++ { // the old socket may linger for a moment
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("restart redis-server on port %d: %v", s.port, err)
}

// Stop shuts the server down gracefully (SIGTERM), killing it after 5s. Safe to call twice.
func (s *RedisServer) Stop() { s.signal(syscall.SIGTERM) }

// Kill ends the server abruptly (SIGKILL), as a crash or a pulled cable would.
func (s *RedisServer) Kill() { s.signal(syscall.SIGKILL) }

func (s *RedisServer) signal(sig os.Signal) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}
