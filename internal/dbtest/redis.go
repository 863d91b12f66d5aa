package dbtest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

const startRedis = "install it with `scripts/ensure-packages redis-server` (or run `make test`, which does)"

// RedisServer is a redis-server process of this test binary's own, on a free loopback port, keeping
// nothing on disk. Asynq's keys cannot be prefixed, so tests that use queues need a server nobody
// else writes to; owning the process also lets a test flush it, stop it or restart it.
type RedisServer struct {
	mu   sync.Mutex
	port int
	cmd  *exec.Cmd
	dir  string
}

var (
	mainCalled bool
	sharedMu   sync.Mutex
	shared     *RedisServer
	// dbSlots hands each test its own of Redis's 16 logical databases on the shared server.
	dbSlots = make(chan int, 16)
)

func init() {
	for i := 0; i < 16; i++ {
		dbSlots <- i
	}
}

// Main runs the package's tests and then stops what dbtest started. Every package that uses Redis
// calls it from TestMain:
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
func Main(m *testing.M) {
	mainCalled = true
	code := m.Run()
	sharedMu.Lock()
	if shared != nil {
		shared.stop()
	}
	sharedMu.Unlock()
	stopPrivate()
	dropShared()
	os.Exit(code)
}

// RedisURL returns the URL of a logical database on this binary's shared redis-server that no other
// running test uses; it is flushed before the test gets it.
func RedisURL(t testing.TB) string {
	t.Helper()
	if !mainCalled {
		t.Fatal("dbtest: call dbtest.Main(m) from this package's TestMain, so the redis-server it starts is stopped")
	}
	sharedMu.Lock()
	if shared == nil {
		s, err := startRedisServer(0)
		if err != nil {
			sharedMu.Unlock()
			t.Fatalf("dbtest: %v", err)
		}
		shared = s
	}
	s := shared
	sharedMu.Unlock()
	slot := <-dbSlots
	t.Cleanup(func() { dbSlots <- slot })
	if err := s.command(fmt.Sprintf("SELECT %d", slot), "FLUSHDB"); err != nil {
		t.Fatalf("dbtest: flush redis db %d: %v", slot, err)
	}
	return fmt.Sprintf("redis://127.0.0.1:%d/%d", s.port, slot)
}

var (
	privateMu sync.Mutex
	privates  []*RedisServer
)

func stopPrivate() {
	privateMu.Lock()
	defer privateMu.Unlock()
	for _, s := range privates {
		s.stop()
	}
}

// PrivateRedis starts a redis-server for this test alone, stopped when the test ends: for tests that
// flush, stop or restart Redis under a running system.
func PrivateRedis(t testing.TB) *RedisServer {
	t.Helper()
	if !mainCalled {
		t.Fatal("dbtest: call dbtest.Main(m) from this package's TestMain")
	}
	s, err := startRedisServer(0)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	privateMu.Lock()
	privates = append(privates, s)
	privateMu.Unlock()
	t.Cleanup(s.stop)
	return s
}

// URL is the server's address as a redis:// URL (database 0).
func (s *RedisServer) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// Addr is host:port.
func (s *RedisServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Flush empties every database, as a Redis that lost its memory would be.
func (s *RedisServer) Flush(t testing.TB) {
	t.Helper()
	if err := s.command("FLUSHALL"); err != nil {
		t.Fatalf("dbtest: flushall: %v", err)
	}
}

// Stop kills the server (SIGKILL: nothing is saved, as in a crash).
func (s *RedisServer) Stop(t testing.TB) {
	t.Helper()
	s.stop()
}

// Restart starts the server again on the same port, empty.
func (s *RedisServer) Restart(t testing.TB) {
	t.Helper()
	s.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.start(); err != nil {
		t.Fatalf("dbtest: restart redis: %v", err)
	}
}

func startRedisServer(port int) (*RedisServer, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, fmt.Errorf("redis-server is not installed: %s", startRedis)
	}
	dir, err := os.MkdirTemp("", "wagate-redis-")
	if err != nil {
		return nil, err
	}
	s := &RedisServer{port: port, dir: dir}
	s.mu.Lock()
	defer s.mu.Unlock()
	// A free port can be taken between our probe and redis binding it; try a few.
	for attempt := 0; attempt < 5; attempt++ {
		if port == 0 {
			if s.port, err = freePort(); err != nil {
				return nil, err
			}
		}
		if err = s.start(); err == nil {
			return s, nil
		}
	}
	return nil, err
}

// start runs redis-server on s.port and waits until it answers. Callers hold s.mu.
func (s *RedisServer) start() error {
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--loglevel", "warning")
	DieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if err := ping(s.port); err == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	s.cmd = nil
	return fmt.Errorf("redis-server on port %d did not answer within 5s", s.port)
}

func (s *RedisServer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// command sends inline commands on one connection and fails on any error reply.
func (s *RedisServer) command(cmds ...string) error {
	conn, err := net.DialTimeout("tcp", s.Addr(), 2*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	for _, c := range cmds {
		if _, err := fmt.Fprintf(conn, "%s\r\n", c); err != nil {
			return err
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if len(line) > 0 && line[0] == '-' {
			return fmt.Errorf("%s: %s", c, line[1:])
		}
	}
	return nil
}

func ping(port int) error {
	s := &RedisServer{port: port}
	return s.command("PING")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WaitFor polls cond every 20 ms until it holds or timeout passes, and fails the test then.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		if cond() {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
