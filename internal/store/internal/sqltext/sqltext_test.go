package sqltext

import (
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		name, in, want string
		n              int
	}{
		{"none", "SELECT 1", "SELECT 1", 0},
		{"simple", "SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2", 2},
		{"string literal", "SELECT '?' , ? FROM t", "SELECT '?' , $1 FROM t", 1},
		{"doubled quote", "SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1},
		{"quoted identifier", `SELECT "we?rd", ? FROM "t""?"`, `SELECT "we?rd", $1 FROM "t""?"`, 1},
		{"backtick identifier", "SELECT `a?` FROM t WHERE x=?", "SELECT `a?` FROM t WHERE x=$1", 1},
		{"line comment", "SELECT ? -- what?\n, ?", "SELECT $1 -- what?\n, $2", 2},
		{"line comment at end", "SELECT ? -- what?", "SELECT $1 -- what?", 1},
		{"block comment", "SELECT /* ? /* nested ? */ still? */ ?", "SELECT /* ? /* nested ? */ still? */ $1", 1},
		{"escape string", `SELECT E'a\'?', ?`, `SELECT E'a\'?', $1`, 1},
		{"not escape string", `SELECT name'?', ?`, `SELECT name'?', $1`, 1},
		{"dollar quoted", "SELECT $$ ? $$, $tag$ ? $$ ? $tag$, ?", "SELECT $$ ? $$, $tag$ ? $$ ? $tag$, $1", 1},
		{"dollar number is not a dollar quote", "SELECT $1, ?", "SELECT $1, $1", 1},
		{"many", strings.Repeat("?,", 11) + "?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12", 12},
		{"unterminated literal", "SELECT ?, 'abc?", "SELECT $1, 'abc?", 1},
		{"insert", "INSERT INTO t (a,b) VALUES (?,?) ON CONFLICT (a) DO UPDATE SET b = excluded.b RETURNING a",
			"INSERT INTO t (a,b) VALUES ($1,$2) ON CONFLICT (a) DO UPDATE SET b = excluded.b RETURNING a", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := Rebind(tt.in)
			if got != tt.want || n != tt.n {
				t.Errorf("Rebind(%q) = %q, %d; want %q, %d", tt.in, got, n, tt.want, tt.n)
			}
		})
	}
}

func TestPostgresTypes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"CREATE TABLE t (a BLOB, b blob NOT NULL)", "CREATE TABLE t (a BYTEA, b BYTEA NOT NULL)"},
		{"CREATE TABLE blobs (blob_id TEXT, x Blob)", "CREATE TABLE blobs (blob_id TEXT, x BYTEA)"},
		{"CREATE TABLE t (a TEXT DEFAULT 'BLOB', \"blob\" BLOB) -- BLOB", "CREATE TABLE t (a TEXT DEFAULT 'BLOB', \"blob\" BYTEA) -- BLOB"},
	}
	for _, tt := range tests {
		if got := PostgresTypes(tt.in); got != tt.want {
			t.Errorf("PostgresTypes(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzRebind checks that rewriting never loses text: removing the $n markers it
// added gives back the input with ? in their place, and the count matches.
func FuzzRebind(f *testing.F) {
	for _, s := range []string{"SELECT ?", "'?'", `"?"`, "-- ?\n?", "/* ? */?", "$$?$$?", "E'\\'?'?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		out, n := Rebind(q)
		if strings.Count(out, "?") != strings.Count(q, "?")-n {
			t.Fatalf("Rebind(%q) = %q, %d: placeholder count mismatch", q, out, n)
		}
		if n == 0 && out != q {
			t.Fatalf("Rebind(%q) changed text without placeholders: %q", q, out)
		}
	})
}
