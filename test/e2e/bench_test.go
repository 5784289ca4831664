package e2e

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

// TestBenchCommands runs the S3 load generators briefly against a real
// region: they must finish without errors and report what they measured.
func TestBenchCommands(t *testing.T) {
	r := harness.Start(t)
	env := []string{"AWS_ENDPOINT_URL=" + r.Endpoint, "AWS_ACCESS_KEY_ID=" + r.AccessKey, "AWS_SECRET_ACCESS_KEY=" + r.SecretKey, "AWS_REGION=" + r.Region}
	run := func(args ...string) string {
		t.Helper()
		out, err := runNimbusEnv(t, env, args...)
		if err != nil {
			t.Fatalf("nimbus %v: %v\n%s", args, err, out)
		}
		return out
	}

	out := run("bench", "s3", "--size", "4KiB", "--duration", "1s", "--concurrency", "4", "--keys", "16")
	for _, phase := range []string{"PUT", "GET"} {
		m := regexp.MustCompile(phase + `: ops=(\d+) errors=(\d+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no %s phase in:\n%s", phase, out)
		}
		if ops, _ := strconv.Atoi(m[1]); ops == 0 || m[2] != "0" {
			t.Errorf("%s phase: ops=%s errors=%s\n%s", phase, m[1], m[2], out)
		}
	}

	out = run("bench", "s3-multipart", "--size", "12MiB", "--part-size", "5MiB", "--concurrency", "2", "--server-pid", strconv.Itoa(r.PID()))
	m := regexp.MustCompile(`parts=(\d+) .* server_rss_before=(\d+)MiB server_rss_peak=(\d+)MiB`).FindStringSubmatch(out)
	if m == nil || m[1] != "3" {
		t.Fatalf("want a 3-part upload with server memory in:\n%s", out)
	}
	if before, _ := strconv.Atoi(m[2]); before == 0 {
		t.Errorf("server RSS read as 0:\n%s", out)
	}
	head, _, code := r.CLI(t, "s3api", "head-object", "--bucket", "nimbus-bench", "--key", "bench/multipart")
	if code != 0 || !regexp.MustCompile(`"ContentLength": 12582912`).MatchString(head) || !regexp.MustCompile(`-3\\?"`).MatchString(head) {
		t.Fatalf("the multipart object is not a 12 MiB, 3-part object:\n%s", head)
	}

	if out, err := runNimbusEnv(t, env, "bench", "s3-multipart", "--part-size", "1MiB"); err == nil {
		t.Fatalf("a 1 MiB part size was accepted:\n%s", out)
	}
}
