// Package proctest builds the real wagate binary once per test binary and runs `wagate serve` as
// separate processes, for tests of several instances, graceful shutdown and kill -9. Test-only.
package proctest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wagate/wagate/internal/dbtest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds ./cmd/wagate into a temporary folder (once per test binary) and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "wagate-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "wagate")
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		cmd := exec.Command("go", "build", "-o", binPath, "-ldflags", "-X main.version=proctest", "./cmd/wagate")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("proctest: %v", buildErr)
	}
	return binPath
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// Opts says how to start one instance.
type Opts struct {
	DatabaseURL string
	RedisURL    string
	Roles       string            // "" = all roles
	Env         map[string]string // more variables, overriding the defaults
}

// Proc is a running `wagate serve`.
type Proc struct {
	URL  string // http://127.0.0.1:port
	http bool   // runs the http role, so /readyz tells when it is ready
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

// Start runs `wagate serve` on a free port and waits until /readyz answers 200 (without the http
// role, until it logs that it started). The process is killed when the test
// ends, and its output is logged when the test failed.
func Start(t testing.TB, o Opts) *Proc {
	t.Helper()
	bin := Binary(t)
	port, err := freePort()
	if err != nil {
		t.Fatalf("proctest: %v", err)
	}
	env := map[string]string{
		"DATABASE_URL": o.DatabaseURL,
		"REDIS_URL":    o.RedisURL,
		"HTTP_ADDR":    fmt.Sprintf("127.0.0.1:%d", port),
		"BASE_URL":     fmt.Sprintf("http://127.0.0.1:%d", port),
		"SECRET_KEY":   "proctest-secret-key-0123456789abcdef0123456789",
		"WA_DRIVER":    "simulator",
		"METRICS_ADDR": "off",
		// Tests start several processes beside each other: a pool of 8 each keeps the suite within
		// a stock Postgres's 100 connections.
		"DATABASE_POOL_SIZE": "8",
		"LOG_LEVEL":          "debug",
		// argon2id at OWASP cost takes real time on 2 cores; processes under test use the trivial cost.
		"INSECURE_FAST_PASSWORD_HASH": "true",
		"PATH":                        os.Getenv("PATH"),
		"HOME":                        os.Getenv("HOME"),
	}
	for k, v := range o.Env {
		env[k] = v
	}
	args := []string{"serve"}
	if o.Roles != "" {
		args = append(args, "--roles", o.Roles)
	}
	cmd := exec.Command(bin, args...)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	dbtest.DieWithParent(cmd)
	p := &Proc{URL: fmt.Sprintf("http://127.0.0.1:%d", port), http: o.Roles == "" || strings.Contains(o.Roles, "http"), cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("proctest: start wagate: %v", err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("wagate %s output:\n%s", p.URL, p.Output())
		}
	})
	if err := p.waitReady(60 * time.Second); err != nil {
		t.Fatalf("proctest: %v\noutput:\n%s", err, p.Output())
	}
	return p
}

func (p *Proc) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("wagate exited before it was ready: %v", p.err)
		default:
		}
		if p.http {
			if resp, err := client.Get(p.URL + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
		} else if strings.Contains(p.Output(), `"msg":"wagate started"`) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("wagate not ready after %s", timeout)
}

// Output is everything the process wrote so far (JSON log lines).
func (p *Proc) Output() string { return p.out.String() }

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM and waits up to timeout for a graceful exit; it returns the exit error (nil for
// status 0) or an error if the process had to be killed.
func (p *Proc) Stop(timeout time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("wagate did not stop within %s after SIGTERM", timeout)
	}
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Run runs the wagate binary with args and env (plus PATH and HOME) to completion and returns its
// combined output and exit code.
func Run(t testing.TB, env map[string]string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Binary(t), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("proctest: run wagate: %v", err)
		}
		code = ee.ExitCode()
	}
	return string(out), code
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
