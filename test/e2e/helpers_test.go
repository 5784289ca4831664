package e2e

import (
	"bufio"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

func readCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

// parseExports reads `export K=V` lines.
func parseExports(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if kv, ok := strings.CutPrefix(strings.TrimSpace(line), "export "); ok {
			if k, v, ok := strings.Cut(kv, "="); ok {
				m[k] = v
			}
		}
	}
	return m
}

func runNimbus(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(harness.Binary(t), args...).CombinedOutput()
	return string(out), err
}

// runNimbusEnv runs the binary with args and exactly env.
func runNimbusEnv(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(harness.Binary(t), args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// startRaw starts the binary with exactly args and returns its stdout pipe.
func startRaw(t *testing.T, args ...string) (*exec.Cmd, io.Reader) {
	t.Helper()
	cmd := exec.Command(harness.Binary(t), append([]string{"server"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, stdout
}

func waitExports(t *testing.T, stdout io.Reader) map[string]string {
	t.Helper()
	got := make(chan map[string]string, 1)
	go func() {
		var b strings.Builder
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
			m := parseExports(b.String())
			if m["AWS_REGION"] != "" {
				got <- m
				io.Copy(io.Discard, stdout)
				return
			}
		}
		got <- parseExports(b.String())
	}()
	select {
	case m := <-got:
		return m
	case <-time.After(15 * time.Second):
		t.Fatal("no credentials printed within 15s")
		return nil
	}
}

func stopRaw(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not stop")
	}
}
