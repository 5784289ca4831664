// Command sqlitebench compares the two SQLite drivers nimbus could use,
// modernc.org/sqlite (pure Go) and github.com/mattn/go-sqlite3 (cgo), under the
// exact settings of internal/store/sqlite: WAL, the same synchronous level,
// busy_timeout, foreign keys, one writer connection running BEGIN IMMEDIATE
// transactions, and a pool of reader connections.
//
// It lives in its own module so that the nimbus module never depends on cgo.
//
//	go run . -dir /var/tmp/sqlitebench -inserts 5000 -reads 200000
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers "sqlite3"
	_ "modernc.org/sqlite"          // registers "sqlite"
)

type driver struct {
	name   string // database/sql driver name
	module string
}

var drivers = []driver{
	{"sqlite", "modernc.org/sqlite"},
	{"sqlite3", "github.com/mattn/go-sqlite3"},
}

func main() {
	dir := flag.String("dir", "", "directory for the database files (default: a temp dir; use a real disk, not tmpfs)")
	inserts := flag.Int("inserts", 3000, "transactional single-row inserts per run")
	reads := flag.Int("reads", 100000, "point reads per run")
	rows := flag.Int("rows", 10000, "rows preloaded for the read benchmarks")
	syncs := flag.String("sync", "FULL,NORMAL", "comma-separated synchronous levels to measure")
	rounds := flag.Int("rounds", 3, "rounds, alternating the drivers; the median of each figure is printed")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "sqlitebench")
		if err != nil {
			fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	fmt.Printf("GOMAXPROCS=%d  %s/%s  %s\n", runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Printf("%-28s %-7s %14s %14s %14s\n", "driver", "sync", "tx insert/s", "point read/s", "par. read/s")
	for _, level := range splitComma(*syncs) {
		got := make([][]result, len(drivers))
		for round := range *rounds {
			for i, d := range drivers {
				r, err := run(d, filepath.Join(*dir, fmt.Sprintf("%s-%s-%d.db", d.name, level, round)), level, *inserts, *reads, *rows)
				if err != nil {
					fatal(fmt.Errorf("%s: %w", d.module, err))
				}
				got[i] = append(got[i], r)
			}
		}
		for i, d := range drivers {
			m := median(got[i])
			fmt.Printf("%-28s %-7s %14.0f %14.0f %14.0f\n", d.module, level, m.insert, m.read, m.parRead)
		}
	}
}

func median(rs []result) result {
	pick := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return result{
		insert:  pick(func(r result) float64 { return r.insert }),
		read:    pick(func(r result) float64 { return r.read }),
		parRead: pick(func(r result) float64 { return r.parRead }),
	}
}

type result struct{ insert, read, parRead float64 }

func dsn(path, sync string, reader bool) string {
	// Both drivers accept these mattn-style keys and apply them on every connection.
	q := "?_busy_timeout=5000&_foreign_keys=1&_journal_mode=WAL&_synchronous=" + sync
	if reader {
		return path + q + "&_query_only=1&_txlock=deferred"
	}
	return path + q + "&_txlock=immediate"
}

func run(d driver, path, level string, inserts, reads, rows int) (result, error) {
	ctx := context.Background()
	_ = os.Remove(path)
	defer func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(path + suffix)
		}
	}()
	w, err := sql.Open(d.name, dsn(path, level, false))
	if err != nil {
		return result{}, err
	}
	defer w.Close()
	w.SetMaxOpenConns(1)
	if err := check(ctx, w, level); err != nil {
		return result{}, err
	}
	if _, err := w.ExecContext(ctx, `CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB, n BIGINT NOT NULL DEFAULT 0)`); err != nil {
		return result{}, err
	}
	r, err := sql.Open(d.name, dsn(path, level, true))
	if err != nil {
		return result{}, err
	}
	defer r.Close()
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	r.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))

	value := make([]byte, 100)
	var res result
	// Transactional insert: one BEGIN IMMEDIATE ... COMMIT per row.
	start := time.Now()
	for i := range inserts {
		if err := inTx(ctx, w, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO kv (k, v, n) VALUES (?, ?, 1)`, fmt.Sprintf("i%09d", i), value)
			return err
		}); err != nil {
			return result{}, err
		}
	}
	res.insert = float64(inserts) / time.Since(start).Seconds()

	// Preload rows for the reads in batches.
	for s := 0; s < rows; s += 1000 {
		if err := inTx(ctx, w, func(tx *sql.Tx) error {
			for i := s; i < min(s+1000, rows); i++ {
				if _, err := tx.ExecContext(ctx, `INSERT INTO kv (k, v, n) VALUES (?, ?, 1)`, fmt.Sprintf("k%09d", i), value); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return result{}, err
		}
	}
	read := func(i int) error {
		return inTx(ctx, r, func(tx *sql.Tx) error {
			var n int64
			return tx.QueryRowContext(ctx, `SELECT n FROM kv WHERE k = ?`, fmt.Sprintf("k%09d", i%rows)).Scan(&n)
		})
	}
	start = time.Now()
	for i := range reads {
		if err := read(i * 7919); err != nil {
			return result{}, err
		}
	}
	res.read = float64(reads) / time.Since(start).Seconds()

	// Parallel point reads: GOMAXPROCS goroutines sharing the reader pool.
	var seq atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, runtime.GOMAXPROCS(0))
	start = time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := seq.Add(1)
				if i > int64(reads) {
					return
				}
				if err := read(int(i) * 7919); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	res.parRead = float64(reads) / time.Since(start).Seconds()
	close(errs)
	return res, <-errs
}

// check verifies the settings really took effect on the writer connection.
func check(ctx context.Context, db *sql.DB, sync string) error {
	var mode string
	var level, busy, fk int
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&level); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return err
	}
	want := map[string]int{"OFF": 0, "NORMAL": 1, "FULL": 2, "EXTRA": 3}[sync]
	if mode != "wal" || level != want || busy != 5000 || fk != 1 {
		return fmt.Errorf("settings not applied: journal_mode=%s synchronous=%d busy_timeout=%d foreign_keys=%d", mode, level, busy, fk)
	}
	return nil
}

func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "sqlitebench:", err)
	os.Exit(1)
}
