package e2e

import (
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

func TestAdminStorageDurability(t *testing.T) {
	out, err := runNimbus(t, "admin", "storage", "durability", "--data-dir", t.TempDir(), "--drives", "12", "--heal-time", "6h")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"12 drives over 3 AZs", "STANDARD     replicas(3)", "RS(8,4)", "NINES"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if out, err := runNimbus(t, "admin", "storage", "durability", "--data-dir", t.TempDir(), "--afr", "2"); err == nil {
		t.Fatalf("AFR 2 accepted:\n%s", out)
	}
}

func TestAdminStorageStatus(t *testing.T) {
	r := harness.Start(t)
	out, err := r.Nimbus(t, "admin", "storage", "status", "--endpoint", r.Endpoint, "--data-dir", r.DataDir)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"corruptions_found_total", "heals_done_total", "reduced_redundancy_bytes", "drive_healthy{"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if out, err := runNimbus(t, "admin", "storage", "status", "--endpoint", "http://"+harness.FreePort(t), "--data-dir", t.TempDir()); err == nil {
		t.Fatalf("status of a region that is not running succeeded:\n%s", out)
	}
}
