package e2e

import (
	"strings"
	"testing"
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
