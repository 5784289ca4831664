package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// testModelProperty runs random sequences of inserts, upserts, deletes and
// reads against the store and an in-memory map; they must always agree.
func testModelProperty(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	keyGen := rapid.SampledFrom([]string{"a", "b", "c", "d", "e", "f?", "g'h"})
	valGen := rapid.SliceOfN(rapid.Byte(), 1, 24)
	rapid.Check(t, func(rt *rapid.T) {
		if err := s.Update(ctx, func(tx store.Tx) error { _, err := tx.Exec(ctx, `DELETE FROM st_kv`); return err }); err != nil {
			rt.Fatal(err)
		}
		model := map[string][]byte{}
		rt.Repeat(map[string]func(*rapid.T){
			"insert": func(rt *rapid.T) {
				k, v := keyGen.Draw(rt, "k"), valGen.Draw(rt, "v")
				err := s.Update(ctx, func(tx store.Tx) error {
					_, err := tx.Exec(ctx, `INSERT INTO st_kv (k, v) VALUES (?, ?)`, k, v)
					return err
				})
				if _, exists := model[k]; exists {
					if !errors.Is(err, store.ErrConflict) {
						rt.Fatalf("insert existing %q: %v; want ErrConflict", k, err)
					}
					return
				}
				if err != nil {
					rt.Fatalf("insert %q: %v", k, err)
				}
				model[k] = v
			},
			"upsert": func(rt *rapid.T) {
				k, v := keyGen.Draw(rt, "k"), valGen.Draw(rt, "v")
				err := s.Update(ctx, func(tx store.Tx) error {
					_, err := tx.Exec(ctx, `INSERT INTO st_kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`, k, v)
					return err
				})
				if err != nil {
					rt.Fatalf("upsert %q: %v", k, err)
				}
				model[k] = v
			},
			"delete": func(rt *rapid.T) {
				k := keyGen.Draw(rt, "k")
				var n int64
				err := s.Update(ctx, func(tx store.Tx) error {
					var err error
					n, err = tx.Exec(ctx, `DELETE FROM st_kv WHERE k = ?`, k)
					return err
				})
				_, exists := model[k]
				if err != nil || (n == 1) != exists {
					rt.Fatalf("delete %q: affected %d, %v; model has it: %v", k, n, err, exists)
				}
				delete(model, k)
			},
			"get": func(rt *rapid.T) {
				k := keyGen.Draw(rt, "k")
				v, _, err := get(ctx, s, k)
				want, exists := model[k]
				switch {
				case !exists && !errors.Is(err, store.ErrNotFound):
					rt.Fatalf("get missing %q: %x, %v; want ErrNotFound", k, v, err)
				case exists && (err != nil || !bytes.Equal(v, want)):
					rt.Fatalf("get %q: %x, %v; want %x", k, v, err, want)
				}
			},
			"": func(rt *rapid.T) { // invariant after every action: same contents
				got, err := dump(ctx, s)
				if err != nil {
					rt.Fatal(err)
				}
				if want := dumpModel(model); got != want {
					rt.Fatalf("store %s != model %s", got, want)
				}
			},
		})
	})
}

func dump(ctx context.Context, s store.Store) (string, error) {
	var out string
	err := s.View(ctx, func(tx store.Tx) error {
		out = ""
		rows, err := tx.Query(ctx, `SELECT k, v FROM st_kv ORDER BY k`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var v []byte
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			out += fmt.Sprintf("%q=%x ", k, v)
		}
		return rows.Err()
	})
	return out, err
}

func dumpModel(m map[string][]byte) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// ORDER BY k on TEXT compares bytes on both backends (PostgreSQL databases
	// for nimbus use the C collation; see the store package comment).
	slices.Sort(keys)
	out := ""
	for _, k := range keys {
		out += fmt.Sprintf("%q=%x ", k, m[k])
	}
	return out
}
