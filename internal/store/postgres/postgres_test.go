package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nimbuscloud/nimbus/internal/store"
	"github.com/nimbuscloud/nimbus/internal/store/postgres"
	"github.com/nimbuscloud/nimbus/internal/store/storetest"
)

const dsnEnv = "NIMBUS_TEST_POSTGRES"

// testDSN returns the test database's DSN, skipping when it is not configured
// (failing instead under CI=true, where scripts/testpg.sh must provide one).
func testDSN(t testing.TB) string {
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set; CI must run scripts/testpg.sh start", dsnEnv)
		}
		t.Skipf("set %s (e.g. $(scripts/testpg.sh start /tmp/nimbus-pg)) to run PostgreSQL tests", dsnEnv)
	}
	return dsn
}

// newDB gives each test its own schema in the test database, selected through
// search_path in the DSN; every open is a separate pool, as a separate process
// would have. The schema is dropped when the test ends.
func newDB(t testing.TB) func(testing.TB) store.Store {
	dsn := testDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "st_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", dsnEnv, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, dsn); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	scoped := withParam(t, dsn, "search_path", schema)
	return func(t testing.TB) store.Store {
		s, err := postgres.Open(context.Background(), scoped)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func withParam(t testing.TB, dsn, k, v string) string {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", dsnEnv)
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestConformance(t *testing.T) {
	testDSN(t) // skip (or fail under CI) once, not per subtest
	storetest.Run(t, newDB)
}

func TestOpenBadDSN(t *testing.T) {
	if _, err := postgres.Open(context.Background(), "postgres://u:secret@[::1"); err == nil {
		t.Fatal("Open accepted a malformed DSN")
	} else if contains(err.Error(), "secret") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func BenchmarkStore(b *testing.B) {
	testDSN(b)
	storetest.Bench(b, newDB)
}
