package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/store"
)

type appliedRow struct {
	Version   int
	Name      string
	AppliedAt int64
}

func applied(t testing.TB, s store.Store, component string) []appliedRow {
	t.Helper()
	var out []appliedRow
	err := s.View(ctxFor(t), func(tx store.Tx) error {
		out = nil
		rows, err := tx.Query(ctxFor(t), `SELECT version, name, applied_at FROM `+store.MigrationsTable+` WHERE component = ? ORDER BY version`, component)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r appliedRow
			if err := rows.Scan(&r.Version, &r.Name, &r.AppliedAt); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatalf("read applied migrations: %v", err)
	}
	return out
}

func tableExists(t testing.TB, s store.Store, table string) bool {
	t.Helper()
	err := s.View(ctxFor(t), func(tx store.Tx) error {
		var n int
		return tx.QueryRow(ctxFor(t), `SELECT COUNT(*) FROM `+table).Scan(&n)
	})
	return err == nil
}

func testMigrateOnceInOrder(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s := newDB(t)(t)
	sc := store.Schema{Component: "order", Migrations: []store.Migration{
		{Version: 1, Name: "create", SQL: `CREATE TABLE mo_t (id TEXT PRIMARY KEY)`},
		// Depends on version 1; several statements in one migration.
		{Version: 2, Name: "add_col", SQL: `ALTER TABLE mo_t ADD COLUMN c BIGINT NOT NULL DEFAULT 7;
			CREATE INDEX mo_t_c ON mo_t (c)`},
		{Version: 5, Name: "seed", SQL: `INSERT INTO mo_t (id) VALUES ('seed')`},
	}}
	if err := s.Migrate(ctx, sc); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	got := applied(t, s, "order")
	if len(got) != 3 || got[0].Version != 1 || got[1].Version != 2 || got[2].Version != 5 || got[2].Name != "seed" || got[0].AppliedAt <= 0 {
		t.Fatalf("applied = %+v", got)
	}
	// Re-running is a no-op: the seed row is not inserted twice.
	for range 2 {
		if err := s.Migrate(ctx, sc); err != nil {
			t.Fatalf("re-Migrate: %v", err)
		}
	}
	if again := applied(t, s, "order"); fmt.Sprint(again) != fmt.Sprint(got) {
		t.Fatalf("re-Migrate changed history: %+v -> %+v", got, again)
	}
	var n, c int
	err := s.View(ctx, func(tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*), MAX(c) FROM mo_t`).Scan(&n, &c)
	})
	if err != nil || n != 1 || c != 7 {
		t.Fatalf("seed rows = %d, c = %d, err = %v; want 1, 7", n, c, err)
	}
	// A later release adds a migration: only it runs.
	sc.Migrations = append(sc.Migrations, store.Migration{Version: 6, Name: "more", SQL: `INSERT INTO mo_t (id, c) VALUES ('more', 9)`})
	if err := s.Migrate(ctx, sc); err != nil {
		t.Fatalf("Migrate v6: %v", err)
	}
	if got := applied(t, s, "order"); len(got) != 4 {
		t.Fatalf("applied after v6 = %+v", got)
	}
	// Another component's history is independent.
	other := store.Schema{Component: "other", Migrations: []store.Migration{{Version: 1, Name: "create", SQL: `CREATE TABLE mo_other (id TEXT)`}}}
	if err := s.Migrate(ctx, other); err != nil {
		t.Fatalf("Migrate other: %v", err)
	}
	if got := applied(t, s, "other"); len(got) != 1 {
		t.Fatalf("other applied = %+v", got)
	}
	// Invalid schemas are refused before touching the database.
	for _, bad := range []store.Schema{
		{Component: "Bad-Name", Migrations: sc.Migrations},
		{Component: "dup", Migrations: []store.Migration{{Version: 1, Name: "a", SQL: "SELECT 1"}, {Version: 1, Name: "b", SQL: "SELECT 1"}}},
		{Component: "zero", Migrations: []store.Migration{{Version: 0, Name: "a", SQL: "SELECT 1"}}},
		{Component: "empty", Migrations: []store.Migration{{Version: 1, Name: "a"}}},
	} {
		if err := s.Migrate(ctx, bad); err == nil {
			t.Errorf("Migrate(%+v) succeeded; want a validation error", bad)
		}
	}
}

func testMigrateFailureRollsBack(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s := newDB(t)(t)
	sc := store.Schema{Component: "fail", Migrations: []store.Migration{
		{Version: 1, Name: "ok", SQL: `CREATE TABLE mf_a (id TEXT PRIMARY KEY)`},
		{Version: 2, Name: "broken", SQL: `CREATE TABLE mf_b (id TEXT PRIMARY KEY); INSERT INTO mf_a (id) VALUES ('x'); INSERT INTO mf_missing (id) VALUES ('y')`},
	}}
	if err := s.Migrate(ctx, sc); err == nil {
		t.Fatal("Migrate with a broken migration succeeded")
	} else if !strings.Contains(err.Error(), "broken") {
		t.Errorf("error %q does not name the failing migration", err)
	}
	if got := applied(t, s, "fail"); len(got) != 1 || got[0].Version != 1 {
		t.Fatalf("applied = %+v; want only version 1", got)
	}
	if tableExists(t, s, "mf_b") {
		t.Error("table created by the failed migration survived")
	}
	var n int
	if err := s.View(ctx, func(tx store.Tx) error { return tx.QueryRow(ctx, `SELECT COUNT(*) FROM mf_a`).Scan(&n) }); err != nil || n != 0 {
		t.Fatalf("rows inserted by the failed migration: %d, %v", n, err)
	}
	// Fixing the migration (it never applied, so it may still change) works.
	sc.Migrations[1].SQL = `CREATE TABLE mf_b (id TEXT PRIMARY KEY)`
	if err := s.Migrate(ctx, sc); err != nil {
		t.Fatalf("Migrate fixed: %v", err)
	}
	if !tableExists(t, s, "mf_b") {
		t.Error("fixed migration did not apply")
	}
}

func testMigrateRejectsEditedHistory(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s := newDB(t)(t)
	sc := store.Schema{Component: "hist", Migrations: []store.Migration{
		{Version: 1, Name: "one", SQL: `CREATE TABLE mh_a (id TEXT)`},
		{Version: 2, Name: "two", SQL: `CREATE TABLE mh_b (id TEXT)`},
	}}
	if err := s.Migrate(ctx, sc); err != nil {
		t.Fatal(err)
	}
	renamed := store.Schema{Component: "hist", Migrations: []store.Migration{sc.Migrations[0], {Version: 2, Name: "renamed", SQL: sc.Migrations[1].SQL}}}
	if err := s.Migrate(ctx, renamed); err == nil {
		t.Error("Migrate accepted a renamed, already applied migration")
	}
	older := store.Schema{Component: "hist", Migrations: sc.Migrations[:1]}
	if err := s.Migrate(ctx, older); err == nil {
		t.Error("Migrate accepted a database newer than the schema")
	}
}

// testMigrateConcurrent starts many migrators on several Stores at once, as
// several servers starting together would; every migration must apply once.
func testMigrateConcurrent(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	open := newDB(t)
	stores := []store.Store{open(t), open(t), open(t)}
	sc := store.Schema{Component: "race", Migrations: []store.Migration{
		{Version: 1, Name: "create", SQL: `CREATE TABLE mc_t (id TEXT PRIMARY KEY)`},
		{Version: 2, Name: "seed", SQL: `INSERT INTO mc_t (id) VALUES ('only-once')`},
		{Version: 3, Name: "seed2", SQL: `INSERT INTO mc_t (id) VALUES ('also-once')`},
	}}
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Add(1)
		go func(s store.Store) {
			defer wg.Done()
			errs <- s.Migrate(ctx, sc)
		}(stores[i%len(stores)])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Migrate: %v", err)
		}
	}
	if got := applied(t, stores[0], "race"); len(got) != 3 {
		t.Fatalf("applied = %+v", got)
	}
	var n int
	if err := stores[1].View(ctx, func(tx store.Tx) error { return tx.QueryRow(ctx, `SELECT COUNT(*) FROM mc_t`).Scan(&n) }); err != nil || n != 2 {
		t.Fatalf("seed rows = %d, %v; want 2", n, err)
	}
}

// testMigrateOverride checks the Postgres field replaces SQL on PostgreSQL only
// and that BLOB works portably.
func testMigrateOverride(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s := newDB(t)(t)
	sc := store.Schema{Component: "dialect", Migrations: []store.Migration{
		{Version: 1, Name: "create", SQL: `CREATE TABLE md_t (id TEXT PRIMARY KEY, body BLOB, dialect TEXT)`},
		{Version: 2, Name: "mark",
			SQL:      `INSERT INTO md_t (id, dialect) VALUES ('d', 'sqlite')`,
			Postgres: `INSERT INTO md_t (id, dialect) VALUES ('d', 'postgres')`},
	}}
	if err := s.Migrate(ctx, sc); err != nil {
		t.Fatal(err)
	}
	var d string
	if err := s.View(ctx, func(tx store.Tx) error { return tx.QueryRow(ctx, `SELECT dialect FROM md_t WHERE id = 'd'`).Scan(&d) }); err != nil {
		t.Fatal(err)
	}
	if d != s.Backend() {
		t.Errorf("migration ran the %s variant on %s", d, s.Backend())
	}
}
