package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// The helpers below let IAM manage its users' access keys inside its own
// transactions (DeleteUser must see the keys it conflicts with in the same
// snapshot), while the account_keys table stays this package's.

// KeyMeta is an access key without its secret.
type KeyMeta struct {
	AccessKeyID string
	UserName    string
	Status      string
	CreatedAt   time.Time
}

// UserPrincipal is the principal of an IAM user's key.
func UserPrincipal(accountID, userARN, userID, userName string) caller.Principal {
	return caller.Principal{Type: caller.User, AccountID: accountID, ARN: userARN, UserID: userID, Name: userName}
}

// CreateKeyTx makes a new access key for p (a user, or the root when
// p.Type is Root) inside tx and returns it with its secret.
func (s *Service) CreateKeyTx(ctx context.Context, tx store.Tx, p caller.Principal) (Key, error) {
	akid, sk, err := s.newKeyPair()
	if err != nil {
		return Key{}, err
	}
	p.AccessKeyID = akid
	k := Key{AccessKeyID: akid, Secret: sk, AccountID: p.AccountID, Status: Active, CreatedAt: s.now().UTC(), Principal: p}
	if err := insertKey(ctx, tx, k, s.box.Seal([]byte(sk), akid)); err != nil {
		return Key{}, err
	}
	return k, nil
}

// ListUserKeysTx lists the keys of one IAM user (by name, case-insensitive).
func ListUserKeysTx(ctx context.Context, tx store.Tx, accountID, userName string) ([]KeyMeta, error) {
	rows, err := tx.Query(ctx, `SELECT access_key_id, user_name, status, created_at FROM account_keys
		WHERE account_id = ? AND principal_type = ? AND LOWER(user_name) = LOWER(?) ORDER BY created_at, access_key_id`,
		accountID, string(caller.User), userName)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []KeyMeta
	for rows.Next() {
		var m KeyMeta
		var created int64
		if err := rows.Scan(&m.AccessKeyID, &m.UserName, &m.Status, &created); err != nil {
			return nil, err
		}
		m.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// KeyOwnerTx returns the metadata of a key of accountID, or ErrKeyNotFound.
// UserName is empty for root keys.
func KeyOwnerTx(ctx context.Context, tx store.Tx, accountID, accessKeyID string) (KeyMeta, caller.PrincipalType, error) {
	var m KeyMeta
	var ptype string
	var created int64
	err := tx.QueryRow(ctx, `SELECT access_key_id, user_name, status, created_at, principal_type FROM account_keys
		WHERE account_id = ? AND access_key_id = ?`, accountID, accessKeyID).Scan(&m.AccessKeyID, &m.UserName, &m.Status, &created, &ptype)
	if errors.Is(err, store.ErrNotFound) {
		return KeyMeta{}, "", ErrKeyNotFound
	}
	if err != nil {
		return KeyMeta{}, "", err
	}
	m.CreatedAt = time.UnixMilli(created).UTC()
	return m, caller.PrincipalType(ptype), nil
}

// SetKeyStatusTx sets a key of accountID Active or Inactive.
func SetKeyStatusTx(ctx context.Context, tx store.Tx, accountID, accessKeyID, status string) error {
	if status != Active && status != Inactive {
		return fmt.Errorf("account: status must be %s or %s", Active, Inactive)
	}
	n, err := tx.Exec(ctx, `UPDATE account_keys SET status = ? WHERE account_id = ? AND access_key_id = ?`, status, accountID, accessKeyID)
	if err == nil && n == 0 {
		return ErrKeyNotFound
	}
	return err
}

// DeleteKeyTx deletes a key of accountID.
func DeleteKeyTx(ctx context.Context, tx store.Tx, accountID, accessKeyID string) error {
	n, err := tx.Exec(ctx, `DELETE FROM account_keys WHERE account_id = ? AND access_key_id = ?`, accountID, accessKeyID)
	if err == nil && n == 0 {
		return ErrKeyNotFound
	}
	return err
}

// RenameUserKeysTx follows an IAM user's rename or path change.
func RenameUserKeysTx(ctx context.Context, tx store.Tx, accountID, oldName, newName, newARN string) error {
	_, err := tx.Exec(ctx, `UPDATE account_keys SET user_name = ?, principal_arn = ? WHERE account_id = ? AND principal_type = ? AND LOWER(user_name) = LOWER(?)`,
		newName, newARN, accountID, string(caller.User), oldName)
	return err
}
