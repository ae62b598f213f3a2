package daemontest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"neonet.dev/neonet/internal/testenv"
)

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// Binary builds cmd/neonet once per test binary and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "neonet-daemontest")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "neonet")
		out, err := exec.Command(goCommand(), "build", "-o", built, "neonet.dev/neonet/cmd/neonet").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// goCommand is the go command that runs this test: the one on PATH, else
// the standard install location.
func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// Process is a running neonet with its stdout as lines.
type Process struct {
	Cmd     *exec.Cmd
	Stdout  <-chan string // every line, in order; closed when stdout ends
	Started time.Time
	stderr  testenv.Buffer
	done    chan error
	mu      sync.Mutex
	seen    []string // the lines of Stdout read so far
}

// Start runs the neonet binary with args and, besides this process's
// environment, env ("KEY=value"). The process is killed when the test
// ends, if it is still running.
func Start(t testing.TB, env []string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1<<14)
	p := &Process{Cmd: cmd, Stdout: lines, done: make(chan error, 1)}
	cmd.Stderr = &p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.Started = time.Now()
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	return p
}

// Stderr is what the process wrote to stderr so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Signal sends sig to the process.
func (p *Process) Signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// WaitLine reads lines from ch until one contains every part, failing
// after timeout, and returns it.
func (p *Process) WaitLine(t testing.TB, ch <-chan string, timeout time.Duration, parts ...string) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-ch:
			if !ok {
				t.Fatalf("output ended before a line with %q; stderr:\n%s", parts, p.Stderr())
			}
			p.read(ch, line)
			if Contains(line, parts...) {
				return line
			}
		case <-deadline:
			t.Fatalf("no line with %q within %v; stderr:\n%s", parts, timeout, p.Stderr())
		}
	}
}

// WaitAll reads lines from ch until each group of parts has matched a
// line, in any order, failing after timeout.
func (p *Process) WaitAll(t testing.TB, ch <-chan string, timeout time.Duration, groups ...[]string) {
	t.Helper()
	deadline := time.After(timeout)
	left := append([][]string(nil), groups...)
	for len(left) > 0 {
		select {
		case line, ok := <-ch:
			if !ok {
				t.Fatalf("output ended before lines with %q; stderr:\n%s", left, p.Stderr())
			}
			p.read(ch, line)
			for i, parts := range left {
				if Contains(line, parts...) {
					left = append(left[:i], left[i+1:]...)
					break
				}
			}
		case <-deadline:
			t.Fatalf("no lines with %q within %v; stderr:\n%s", left, timeout, p.Stderr())
		}
	}
}

// read keeps a line read from the process's stdout.
func (p *Process) read(ch <-chan string, line string) {
	if ch == p.Stdout {
		p.mu.Lock()
		p.seen = append(p.seen, line)
		p.mu.Unlock()
	}
}

// Seen is every line of stdout read so far (by WaitLine, WaitAll, Stop
// and Wait), in order.
func (p *Process) Seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen)
}

// Contains reports whether line contains every part.
func Contains(line string, parts ...string) bool {
	for _, part := range parts {
		if !strings.Contains(line, part) {
			return false
		}
	}
	return true
}

// Stop sends sig and waits for the process to end, at most timeout; it
// returns how long it took, the rest of stdout and the exit error.
func (p *Process) Stop(t testing.TB, sig syscall.Signal, timeout time.Duration) (time.Duration, []string, error) {
	t.Helper()
	t0 := time.Now()
	p.Signal(t, sig)
	rest, err := p.Wait(t, timeout)
	return time.Since(t0), rest, err
}

// Wait waits for the process to end, at most timeout, and returns the rest
// of stdout and the exit error.
func (p *Process) Wait(t testing.TB, timeout time.Duration) ([]string, error) {
	t.Helper()
	deadline := time.After(timeout)
	var rest []string
	for open := true; open; {
		select {
		case line, ok := <-p.Stdout:
			if ok {
				rest = append(rest, line)
				p.read(p.Stdout, line)
			}
			open = ok
		case <-deadline:
			t.Fatalf("the process did not end within %v; output:\n%s\nstderr:\n%s", timeout, strings.Join(rest, "\n"), p.Stderr())
		}
	}
	select {
	case err := <-p.done:
		return rest, err
	case <-deadline:
		t.Fatalf("the process did not end within %v", timeout)
	}
	return nil, nil
}
