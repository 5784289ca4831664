package harness

import (
	"bytes"
	"context"
	"crypto/rand"
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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

var build struct {
	once sync.Once
	path string
	err  error
}

// Binary returns the path of a nimbus binary built from this checkout, once
// per test process. NIMBUS_BINARY overrides it with a prebuilt one.
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		if p := os.Getenv("NIMBUS_BINARY"); p != "" {
			build.path = p
			return
		}
		root, err := moduleRoot()
		if err != nil {
			build.err = err
			return
		}
		dir, err := os.MkdirTemp("", "nimbus-e2e-bin-")
		if err != nil {
			build.err = err
			return
		}
		build.path = filepath.Join(dir, "nimbus")
		cmd := exec.Command("go", "build", "-o", build.path, "./cmd/nimbus")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the nimbus module")
	}
	return filepath.Dir(mod), nil
}

// Region is a running nimbus server.
type Region struct {
	t         testing.TB
	DataDir   string
	Addr      string
	Endpoint  string
	Region    string
	AccountID string
	AccessKey string
	SecretKey string
	Args      []string // extra server flags
	Env       []string // extra environment

	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	exited chan struct{}
}

// Option adjusts a Region before it starts.
type Option func(*Region)

// WithArgs adds server flags.
func WithArgs(args ...string) Option { return func(r *Region) { r.Args = append(r.Args, args...) } }

// WithEnv adds environment variables (KEY=VALUE).
func WithEnv(env ...string) Option { return func(r *Region) { r.Env = append(r.Env, env...) } }

// WithDataDir uses dir instead of a fresh temp dir.
func WithDataDir(dir string) Option { return func(r *Region) { r.DataDir = dir } }

// WithCredentials fixes the bootstrap account and key.
func WithCredentials(accountID, accessKey, secretKey string) Option {
	return func(r *Region) { r.AccountID, r.AccessKey, r.SecretKey = accountID, accessKey, secretKey }
}

// Start starts a region and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Region {
	t.Helper()
	r := &Region{t: t, Region: "us-east-1"}
	for _, o := range opts {
		o(r)
	}
	if r.DataDir == "" {
		r.DataDir = t.TempDir()
	}
	if r.AccessKey == "" {
		r.AccountID, r.AccessKey, r.SecretKey = RandomCredentials()
	}
	r.start(t)
	t.Cleanup(func() { r.Stop(t) })
	return r
}

// RandomCredentials returns a fresh account ID, access key and secret.
func RandomCredentials() (string, string, string) {
	const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	const sec = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 12+16+40)
	rand.Read(b)
	acct := make([]byte, 12)
	for i := range acct {
		acct[i] = '1' + b[i]%9
	}
	ak := make([]byte, 16)
	for i := range ak {
		ak[i] = upper[int(b[12+i])%len(upper)]
	}
	sk := make([]byte, 40)
	for i := range sk {
		sk[i] = sec[int(b[28+i])%len(sec)]
	}
	return string(acct), "AKIA" + string(ak), string(sk)
}

// FreePort returns a loopback address with a port that was free a moment ago.
func FreePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (r *Region) start(t testing.TB) {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if r.Addr == "" || attempt > 0 {
			r.Addr = FreePort(t)
		}
		r.Endpoint = "http://" + r.Addr
		args := append([]string{"server",
			"--listen", r.Addr,
			"--data-dir", r.DataDir,
			"--region", r.Region,
			"--bootstrap-account-id", r.AccountID,
			"--bootstrap-access-key", r.AccessKey,
			"--bootstrap-secret-key", r.SecretKey,
			"--shutdown-timeout", "10s",
		}, r.Args...)
		r.cmd = exec.Command(Binary(t), args...)
		r.cmd.Env = append(cleanEnv(), r.Env...)
		if r.stdout == nil {
			r.stdout, r.stderr = &syncBuffer{}, &syncBuffer{}
		}
		r.cmd.Stdout, r.cmd.Stderr = r.stdout, r.stderr
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r.exited = make(chan struct{})
		go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(r.cmd, r.exited)
		if lastErr = r.waitHealthy(15 * time.Second); lastErr == nil {
			r.waitLogged("nimbus region ready", 5*time.Second)
			return
		}
		r.kill()
		if !strings.Contains(r.stderr.String(), "address already in use") {
			break
		}
	}
	t.Fatalf("nimbus did not become healthy: %v\nstdout:\n%s\nstderr:\n%s", lastErr, r.stdout, r.stderr)
}

// cleanEnv is the test process's environment without AWS_* and NIMBUS_*
// variables, so a developer's settings cannot leak into the server.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "NIMBUS_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func (r *Region) waitHealthy(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-r.exited:
			return fmt.Errorf("server exited: %v", r.cmd.ProcessState)
		default:
		}
		resp, err := client.Get(r.Endpoint + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no healthy answer within %s", limit)
}

// waitLogged waits until the server's stderr (copied asynchronously) holds
// s, so tests can read the startup log right after Start.
func (r *Region) waitLogged(s string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && !strings.Contains(r.stderr.String(), s) {
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop sends SIGTERM and waits for a clean exit (idempotent).
func (r *Region) Stop(t testing.TB) {
	t.Helper()
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	select {
	case <-r.exited:
		return
	default:
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
		if code := r.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("nimbus exited with %d after SIGTERM\nstderr:\n%s", code, r.stderr)
		}
	case <-time.After(20 * time.Second):
		r.kill()
		t.Errorf("nimbus did not stop within 20s of SIGTERM\nstderr:\n%s", r.stderr)
	}
}

func (r *Region) kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Kill()
		<-r.exited
	}
}

// Kill stops the server with SIGKILL, as a crash would.
func (r *Region) Kill(t testing.TB) { r.kill() }

// Restart stops the server and starts it again on the same data dir.
func (r *Region) Restart(t testing.TB) {
	t.Helper()
	r.Stop(t)
	r.start(t)
}

// Stdout and Stderr return what the server printed so far, across restarts.
func (r *Region) Stdout() string { return r.stdout.String() }
func (r *Region) Stderr() string { return r.stderr.String() }

// PID is the running server's process ID.
func (r *Region) PID() int { return r.cmd.Process.Pid }

// Exited is closed when the server process ends.
func (r *Region) Exited() <-chan struct{} { return r.exited }

// Signal sends sig to the server.
func (r *Region) Signal(sig os.Signal) error { return r.cmd.Process.Signal(sig) }

// AWSConfig returns an aws-sdk-go-v2 config for the region's root key.
func (r *Region) AWSConfig() aws.Config {
	return r.ConfigFor(r.AccessKey, r.SecretKey)
}

// ConfigFor returns an aws-sdk-go-v2 config with the given static key.
func (r *Region) ConfigFor(accessKey, secretKey string) aws.Config {
	return aws.Config{
		Region:           r.Region,
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		BaseEndpoint:     aws.String(r.Endpoint),
		RetryMaxAttempts: 1,
	}
}

// CLI runs the aws CLI against the region, skipping the test when it is not
// installed. It returns stdout, stderr and the exit code.
func (r *Region) CLI(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(cleanEnv(),
		"AWS_ACCESS_KEY_ID="+r.AccessKey,
		"AWS_SECRET_ACCESS_KEY="+r.SecretKey,
		"AWS_ENDPOINT_URL="+r.Endpoint,
		"AWS_REGION="+r.Region,
		"AWS_DEFAULT_REGION="+r.Region,
		"AWS_CONFIG_FILE="+os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
		"AWS_MAX_ATTEMPTS=1",
		"AWS_PAGER=",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("aws %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

// Nimbus runs the nimbus binary with args (e.g. admin commands) against this
// region's data dir and returns its combined output.
func (r *Region) Nimbus(t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = append(cleanEnv(), r.Env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
