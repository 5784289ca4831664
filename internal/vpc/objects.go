package vpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// getDoc reads the account's object id of kind k into a new T; an object of
// another account, or of another kind, does not exist for the caller.
func getDoc[T any](ctx context.Context, tx store.Tx, k kind, account, id string) (*T, error) {
	var doc string
	err := tx.QueryRow(ctx, `SELECT doc FROM vpc_objects WHERE id = ? AND account_id = ? AND kind = ?`, id, account, string(k)).Scan(&doc)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(k, id)
	}
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return nil, fmt.Errorf("vpc: %s %s: stored document: %w", k, id, err)
	}
	return v, nil
}

// listDocs reads the account's objects of kind k in ID order; with vpc set,
// only that VPC's.
func listDocs[T any](ctx context.Context, tx store.Tx, k kind, account, vpc string) ([]*T, error) {
	q, args := `SELECT id, doc FROM vpc_objects WHERE account_id = ? AND kind = ? ORDER BY id`, []any{account, string(k)}
	if vpc != "" {
		q, args = `SELECT id, doc FROM vpc_objects WHERE account_id = ? AND kind = ? AND vpc_id = ? ORDER BY id`, append(args, vpc)
	}
	return scanDocs[T](ctx, tx, k, q, args...)
}

// listAll reads every account's objects of kind k (the region's model).
func listAll[T any](ctx context.Context, tx store.Tx, k kind) ([]*T, error) {
	return scanDocs[T](ctx, tx, k, `SELECT id, doc FROM vpc_objects WHERE kind = ? ORDER BY id`, string(k))
}

func scanDocs[T any](ctx context.Context, tx store.Tx, k kind, q string, args ...any) ([]*T, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		var id, doc string
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, err
		}
		v := new(T)
		if err := json.Unmarshal([]byte(doc), v); err != nil {
			return nil, fmt.Errorf("vpc: %s %s: stored document: %w", k, id, err)
		}
		out = append(out, v)
	}
	return out, rows.Close()
}

// countDocs counts a VPC's objects of kind k.
func countDocs(ctx context.Context, tx store.Tx, k kind, vpc string) (int, error) {
	var n int64
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM vpc_objects WHERE kind = ? AND vpc_id = ?`, string(k), vpc).Scan(&n)
	return int(n), err
}

// putDoc inserts or replaces an object.
func putDoc(ctx context.Context, tx store.Tx, k kind, account, vpc, id string, created int64, doc any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO vpc_objects (id, account_id, kind, vpc_id, doc, created_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, vpc_id = excluded.vpc_id`, id, account, string(k), vpc, string(b), created)
	return err
}

// deleteDoc removes an object and its tags.
func deleteDoc(ctx context.Context, tx store.Tx, id string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM vpc_objects WHERE id = ?`, id); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM ec2_tags WHERE resource_id = ?`, id)
	return err
}
