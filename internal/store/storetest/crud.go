package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/store"
)

func testCRUD(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	for i := range 10 {
		put(t, s, fmt.Sprintf("key-%02d", i), []byte{byte(i)}, int64(i*10))
	}
	var affected int64
	err := s.Update(ctx, func(tx store.Tx) error {
		var err error
		affected, err = tx.Exec(ctx, `UPDATE st_kv SET n = n + 1 WHERE n >= ?`, 50)
		return err
	})
	if err != nil || affected != 5 {
		t.Fatalf("update affected %d, %v; want 5", affected, err)
	}
	err = s.Update(ctx, func(tx store.Tx) error {
		var err error
		affected, err = tx.Exec(ctx, `DELETE FROM st_kv WHERE k = ?`, "key-00")
		return err
	})
	if err != nil || affected != 1 {
		t.Fatalf("delete affected %d, %v; want 1", affected, err)
	}
	// Paging with ORDER BY, LIMIT and OFFSET.
	var keys []string
	var ns []int64
	err = s.View(ctx, func(tx store.Tx) error {
		keys, ns = nil, nil
		rows, err := tx.Query(ctx, `SELECT k, n FROM st_kv WHERE n > ? ORDER BY k LIMIT ? OFFSET ?`, 10, 3, 2)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var n int64
			if err := rows.Scan(&k, &n); err != nil {
				return err
			}
			keys, ns = append(keys, k), append(ns, n)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(keys, ns), "[key-04 key-05 key-06] [40 51 61]"; got != want {
		t.Fatalf("page = %s; want %s", got, want)
	}
	if c := count(t, s); c != 9 {
		t.Fatalf("count = %d; want 9", c)
	}
}

func testUpsertReturning(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	upsert := func(k string, n int64) (got int64) {
		t.Helper()
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.QueryRow(ctx, `INSERT INTO st_kv (k, n) VALUES (?, ?)
				ON CONFLICT (k) DO UPDATE SET n = st_kv.n + excluded.n RETURNING n`, k, n).Scan(&got)
		})
		if err != nil {
			t.Fatalf("upsert: %v", err)
		}
		return got
	}
	if got := upsert("a", 5); got != 5 {
		t.Errorf("first upsert returned %d; want 5", got)
	}
	if got := upsert("a", 3); got != 8 {
		t.Errorf("second upsert returned %d; want 8", got)
	}
	var affected int64
	err := s.Update(ctx, func(tx store.Tx) error {
		var err error
		affected, err = tx.Exec(ctx, `INSERT INTO st_kv (k, n) VALUES (?, ?) ON CONFLICT DO NOTHING`, "a", 100)
		return err
	})
	if err != nil || affected != 0 {
		t.Fatalf("ON CONFLICT DO NOTHING affected %d, %v; want 0, nil", affected, err)
	}
	var deleted []string
	err = s.Update(ctx, func(tx store.Tx) error {
		deleted = nil
		rows, err := tx.Query(ctx, `DELETE FROM st_kv WHERE k = ? RETURNING k`, "a")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			deleted = append(deleted, k)
		}
		return rows.Err()
	})
	if err != nil || len(deleted) != 1 {
		t.Fatalf("DELETE RETURNING = %v, %v", deleted, err)
	}
}

func testNotFound(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	_, _, err := get(ctx, s, "missing")
	wantIs(t, err, store.ErrNotFound)
	// ErrNotFound does not abort a read-write transaction.
	err = s.Update(ctx, func(tx store.Tx) error {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT n FROM st_kv WHERE k = ?`, "missing").Scan(&n); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("scan: %w, want ErrNotFound", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO st_kv (k, n) VALUES (?, 1)`, "missing")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, n, err := get(ctx, s, "missing"); err != nil || n != 1 {
		t.Fatalf("get = %d, %v", n, err)
	}
}

func testConflict(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	if err := s.Migrate(ctx, store.Schema{Component: "conflict", Migrations: []store.Migration{
		{Version: 1, Name: "uniq", SQL: `CREATE TABLE st_u (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE)`},
	}}); err != nil {
		t.Fatal(err)
	}
	put(t, s, "dup", nil, 1)
	err := s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO st_kv (k, n) VALUES (?, ?)`, "dup", 2)
		return err
	})
	wantIs(t, err, store.ErrConflict)
	err = s.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO st_u (id, name) VALUES (?, ?)`, "1", "alice"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO st_u (id, name) VALUES (?, ?)`, "2", "alice")
		return err
	})
	wantIs(t, err, store.ErrConflict)
	if errors.Is(err, store.ErrBusy) {
		t.Errorf("a conflict was retried: %v", err)
	}
	if _, n, _ := get(ctx, s, "dup"); n != 1 {
		t.Errorf("conflicting insert changed the row: n = %d", n)
	}
}

func testForeignKey(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s := newDB(t)(t)
	if err := s.Migrate(ctx, store.Schema{Component: "fk", Migrations: []store.Migration{
		{Version: 1, Name: "tables", SQL: `CREATE TABLE st_vpc (id TEXT PRIMARY KEY);
			CREATE TABLE st_subnet (id TEXT PRIMARY KEY, vpc_id TEXT NOT NULL REFERENCES st_vpc (id))`},
	}}); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) error {
		return s.Update(ctx, func(tx store.Tx) error { _, err := tx.Exec(ctx, q, args...); return err })
	}
	wantIs(t, exec(`INSERT INTO st_subnet (id, vpc_id) VALUES (?, ?)`, "subnet-1", "vpc-missing"), store.ErrForeignKey)
	if err := exec(`INSERT INTO st_vpc (id) VALUES (?)`, "vpc-1"); err != nil {
		t.Fatal(err)
	}
	if err := exec(`INSERT INTO st_subnet (id, vpc_id) VALUES (?, ?)`, "subnet-1", "vpc-1"); err != nil {
		t.Fatal(err)
	}
	wantIs(t, exec(`DELETE FROM st_vpc WHERE id = ?`, "vpc-1"), store.ErrForeignKey)
}

// testAbortedTransaction checks a failed statement aborts the transaction on
// every backend, even when fn ignores the error.
func testAbortedTransaction(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	put(t, s, "dup", nil, 1)
	var second error
	err := s.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO st_kv (k, n) VALUES (?, 1)`, "new"); err != nil {
			return err
		}
		_, _ = tx.Exec(ctx, `INSERT INTO st_kv (k, n) VALUES (?, 2)`, "dup") // ignored on purpose
		_, second = tx.Exec(ctx, `INSERT INTO st_kv (k, n) VALUES (?, 3)`, "other")
		return nil
	})
	wantIs(t, err, store.ErrConflict)
	wantIs(t, second, store.ErrConflict)
	if c := count(t, s); c != 1 {
		t.Fatalf("count = %d after an aborted transaction; want 1", c)
	}
}

func testRollbackOnError(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	boom := errors.New("boom")
	runs := 0
	err := s.Update(ctx, func(tx store.Tx) error {
		runs++
		if _, err := tx.Exec(ctx, `INSERT INTO st_kv (k, n) VALUES (?, 1)`, "ghost"); err != nil {
			return err
		}
		return fmt.Errorf("service says no: %w", boom)
	})
	wantIs(t, err, boom)
	if runs != 1 {
		t.Errorf("fn ran %d times for a non-transient error", runs)
	}
	if _, _, err := get(ctx, s, "ghost"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rolled back row visible: %v", err)
	}
}

func testRollbackOnPanic(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic did not propagate")
			}
		}()
		_ = s.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO st_kv (k, n) VALUES (?, 1)`, "ghost"); err != nil {
				return err
			}
			panic("bug in fn")
		})
	}()
	if _, _, err := get(ctx, s, "ghost"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("row from a panicking fn is visible: %v", err)
	}
	put(t, s, "after", nil, 1) // the writer is usable again
}

func testBinaryRoundTrip(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	all := make([]byte, 512)
	for i := range all {
		all[i] = byte(i)
	}
	cases := map[string][]byte{"all-bytes": all, "nul": {0}, "utf8-invalid": {0xff, 0xfe, 0x00, 0xc3}, "one": {'x'}}
	for k, v := range cases {
		put(t, s, k, v, 0)
	}
	for k, want := range cases {
		got, _, err := get(ctx, s, k)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: got %x, %v; want %x", k, got, err, want)
		}
	}
	put(t, s, "null", nil, 0)
	put(t, s, "empty", []byte{}, 0)
	var nullIsNull, emptyIsNull bool
	var emptyLen int
	err := s.View(ctx, func(tx store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT v IS NULL FROM st_kv WHERE k = ?`, "null").Scan(&nullIsNull); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT v IS NULL, LENGTH(v) FROM st_kv WHERE k = ?`, "empty").Scan(&emptyIsNull, &emptyLen)
	})
	if err != nil || !nullIsNull || emptyIsNull || emptyLen != 0 {
		t.Errorf("nil []byte IS NULL = %v, empty []byte IS NULL = %v (length %d), %v; want true, false (0)", nullIsNull, emptyIsNull, emptyLen, err)
	}
}

func testLargeValues(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	big := bytes.Repeat([]byte("0123456789abcdef\x00\xff"), 4<<20/18) // ~4 MiB
	put(t, s, "big", big, 0)
	got, _, err := get(ctx, s, "big")
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("big blob: %d bytes back, %v; want %d", len(got), err, len(big))
	}
	text := strings.Repeat("ünïcode ☃ text ", 1<<16) // ~1 MiB
	if err := s.Migrate(ctx, store.Schema{Component: "large", Migrations: []store.Migration{
		{Version: 1, Name: "t", SQL: `CREATE TABLE st_text (id BIGINT PRIMARY KEY, body TEXT NOT NULL)`},
	}}); err != nil {
		t.Fatal(err)
	}
	var back string
	err = s.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO st_text (id, body) VALUES (?, ?)`, 1, text); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT body FROM st_text WHERE id = ?`, 1).Scan(&back)
	})
	if err != nil || back != text {
		t.Fatalf("big text: %d bytes back, %v; want %d", len(back), err, len(text))
	}
}

// testTypes checks the portable types: BIGINT extremes, booleans, NULLs, and
// timestamps as unix milliseconds.
func testTypes(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s := newDB(t)(t)
	if err := s.Migrate(ctx, store.Schema{Component: "types", Migrations: []store.Migration{
		{Version: 1, Name: "t", SQL: `CREATE TABLE st_types (
			id INTEGER PRIMARY KEY, big BIGINT NOT NULL, flag BOOLEAN NOT NULL DEFAULT FALSE,
			opt TEXT, created_ms BIGINT NOT NULL, ratio DOUBLE PRECISION)`},
	}}); err != nil {
		t.Fatal(err)
	}
	type rec struct {
		ID      int
		Big     int64
		Flag    bool
		Opt     *string
		Created int64
		Ratio   float64
	}
	name := "set"
	in := []rec{
		{1, math.MaxInt64, true, &name, 1_700_000_000_123, 0.25},
		{2, math.MinInt64, false, nil, 0, -1.5},
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		for _, r := range in {
			if _, err := tx.Exec(ctx, `INSERT INTO st_types (id, big, flag, opt, created_ms, ratio) VALUES (?, ?, ?, ?, ?, ?)`,
				r.ID, r.Big, r.Flag, r.Opt, r.Created, r.Ratio); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []rec
	err = s.View(ctx, func(tx store.Tx) error {
		out = nil
		rows, err := tx.Query(ctx, `SELECT id, big, flag, opt, created_ms, ratio FROM st_types WHERE flag = ? OR flag = ? ORDER BY id`, true, false)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r rec
			if err := rows.Scan(&r.ID, &r.Big, &r.Flag, &r.Opt, &r.Created, &r.Ratio); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Big != math.MaxInt64 || !out[0].Flag || out[0].Opt == nil || *out[0].Opt != "set" ||
		out[0].Created != in[0].Created || out[0].Ratio != 0.25 ||
		out[1].Big != math.MinInt64 || out[1].Flag || out[1].Opt != nil || out[1].Ratio != -1.5 {
		t.Fatalf("round trip = %+v", out)
	}
	var trueCount int
	err = s.View(ctx, func(tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM st_types WHERE flag = TRUE`).Scan(&trueCount)
	})
	if err != nil || trueCount != 1 {
		t.Fatalf("flag = TRUE matched %d, %v", trueCount, err)
	}
}

func testPlaceholdersInLiterals(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	err := s.Update(ctx, func(tx store.Tx) error {
		// A ? inside a literal, a quoted identifier and a comment is text, not a parameter.
		if _, err := tx.Exec(ctx, `INSERT INTO st_kv (k, v, "n") VALUES ('what?', ?, ?) -- really?`, []byte("v?"), 1); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO st_kv (k, n) VALUES ('it''s ?' /* ? */, ?)`, 2)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	err = s.View(ctx, func(tx store.Tx) error {
		keys = nil
		rows, err := tx.Query(ctx, `SELECT k FROM st_kv WHERE k IN ('what?', ?) AND n >= ? ORDER BY k`, "it's ?", 1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			keys = append(keys, k)
		}
		return rows.Err()
	})
	if err != nil || fmt.Sprint(keys) != "[it's ? what?]" {
		t.Fatalf("keys = %q, %v", keys, err)
	}
}

// testRowsLeftOpen checks that an unclosed Rows does not break the commit and
// that a second statement while Rows is open is an error on every backend.
func testRowsLeftOpen(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	put(t, s, "a", nil, 1)
	put(t, s, "b", nil, 2)
	err := s.Update(ctx, func(tx store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT k FROM st_kv`)
		if err != nil {
			return err
		}
		rows.Next()
		if _, err := tx.Exec(ctx, `UPDATE st_kv SET n = 0`); err == nil {
			return errors.New("statement while Rows open succeeded")
		}
		return nil // rows never closed
	})
	if err != nil {
		t.Fatalf("Update with unclosed Rows: %v", err)
	}
	put(t, s, "c", nil, 3)
}

func testClosed(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	wantIs(t, s.Update(ctx, func(store.Tx) error { return nil }), store.ErrClosed)
	wantIs(t, s.View(ctx, func(store.Tx) error { return nil }), store.ErrClosed)
}
