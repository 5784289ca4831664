package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/secret"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// Errors returned by the package.
var (
	ErrNotFound     = errors.New("account: not found")
	ErrKeyNotFound  = errors.New("account: access key not found")
	ErrKeyInactive  = errors.New("account: access key is inactive")
	ErrExists       = errors.New("account: already exists")
	ErrBootstrapKey = errors.New("account: bootstrap access key conflicts with existing data")
)

// Account is a tenant.
type Account struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Key is an access key with its secret in the clear (only ever returned to
// the operator or to the signature verifier).
type Key struct {
	AccessKeyID string
	Secret      string
	AccountID   string
	Status      string // Active | Inactive
	CreatedAt   time.Time
	Principal   caller.Principal
	// Temporary credentials (STS) also carry the SHA-256 of their session
	// token, which the request must present, and their expiry.
	Temporary bool
	TokenHash []byte
	Expires   time.Time
}

// Status values of an access key.
const (
	Active   = "Active"
	Inactive = "Inactive"
)

// Options configures a Service.
type Options struct {
	Now  func() time.Time
	Rand io.Reader
}

// Service manages accounts and their keys.
type Service struct {
	st   store.Store
	box  *secret.Box
	now  func() time.Time
	rand io.Reader
}

// New returns a Service. Call Migrate before use.
func New(st store.Store, box *secret.Box, opts Options) *Service {
	s := &Service{st: st, box: box, now: opts.Now, rand: opts.Rand}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	return s
}

// Schema is the package's tables.
func Schema() store.Schema {
	return store.Schema{Component: "account", Migrations: []store.Migration{{
		Version: 1,
		Name:    "accounts and access keys",
		SQL: `
CREATE TABLE account_accounts (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE TABLE account_keys (
	access_key_id  TEXT PRIMARY KEY,
	account_id     TEXT NOT NULL REFERENCES account_accounts(id),
	principal_type TEXT NOT NULL,
	principal_arn  TEXT NOT NULL,
	user_id        TEXT NOT NULL,
	user_name      TEXT NOT NULL,
	secret         BLOB NOT NULL,
	status         TEXT NOT NULL,
	created_at     BIGINT NOT NULL
);
CREATE INDEX account_keys_by_account ON account_keys(account_id);
`,
	}, {
		Version: 2,
		Name:    "access key last use",
		SQL: `
ALTER TABLE account_keys ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE account_keys ADD COLUMN last_used_service TEXT NOT NULL DEFAULT '';
ALTER TABLE account_keys ADD COLUMN last_used_region TEXT NOT NULL DEFAULT '';
`,
	}}}
}

// Migrate applies the package's schema.
func (s *Service) Migrate(ctx context.Context) error { return s.st.Migrate(ctx, Schema()) }

// RootPrincipal is the principal of an account's root credentials.
func RootPrincipal(accountID, accessKeyID string) caller.Principal {
	return caller.Principal{
		Type:        caller.Root,
		AccountID:   accountID,
		ARN:         "arn:aws:iam::" + accountID + ":root",
		UserID:      accountID,
		AccessKeyID: accessKeyID,
	}
}

// Create makes a new account with one root access key.
func (s *Service) Create(ctx context.Context, name string) (Account, Key, error) {
	id, err := s.newAccountID()
	if err != nil {
		return Account{}, Key{}, err
	}
	akid, sk, err := s.newKeyPair()
	if err != nil {
		return Account{}, Key{}, err
	}
	return s.create(ctx, id, name, akid, sk)
}

func (s *Service) create(ctx context.Context, id, name, akid, sk string) (Account, Key, error) {
	now := s.now().UTC()
	acct := Account{ID: id, Name: name, CreatedAt: now}
	key := Key{AccessKeyID: akid, Secret: sk, AccountID: id, Status: Active, CreatedAt: now, Principal: RootPrincipal(id, akid)}
	sealed := s.box.Seal([]byte(sk), akid)
	err := s.st.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO account_accounts (id, name, created_at) VALUES (?, ?, ?)`, id, name, now.UnixMilli()); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("%w: account %s", ErrExists, id)
			}
			return err
		}
		return insertKey(ctx, tx, key, sealed)
	})
	if err != nil {
		return Account{}, Key{}, err
	}
	return acct, key, nil
}

func insertKey(ctx context.Context, tx store.Tx, k Key, sealed []byte) error {
	_, err := tx.Exec(ctx, `INSERT INTO account_keys
		(access_key_id, account_id, principal_type, principal_arn, user_id, user_name, secret, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.AccessKeyID, k.AccountID, string(k.Principal.Type), k.Principal.ARN, k.Principal.UserID, k.Principal.Name,
		sealed, k.Status, k.CreatedAt.UnixMilli())
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: access key %s", ErrExists, k.AccessKeyID)
	}
	return err
}

// Bootstrap ensures the region has its first account. With a fixed key
// (fixed.AccessKeyID set) it makes sure that exact root key exists. It
// reports whether it created the account, so the caller prints the
// credentials exactly once. The check and the creation run in one
// transaction, so servers sharing a store that start together create one
// first account between them.
func (s *Service) Bootstrap(ctx context.Context, accountID string, fixed Key) (Account, Key, bool, error) {
	id, akid, sk := accountID, fixed.AccessKeyID, fixed.Secret
	var err error
	if id == "" {
		if id, err = s.newAccountID(); err != nil {
			return Account{}, Key{}, false, err
		}
	}
	if akid == "" {
		if akid, sk, err = s.newKeyPair(); err != nil {
			return Account{}, Key{}, false, err
		}
	}
	now := s.now().UTC()
	sealed := s.box.Seal([]byte(sk), akid)
	var (
		acct    Account
		key     Key
		created bool
	)
	err = s.st.Update(ctx, func(tx store.Tx) error {
		created = false
		if fixed.AccessKeyID != "" {
			k, err := s.scanKey(tx.QueryRow(ctx, keyColumns+` WHERE access_key_id = ?`, fixed.AccessKeyID))
			switch {
			case err == nil:
				if k.Secret != fixed.Secret || (accountID != "" && k.AccountID != accountID) {
					return fmt.Errorf("%w: %s exists with another secret or account", ErrBootstrapKey, fixed.AccessKeyID)
				}
				key = k
				acct, err = getAccount(ctx, tx, k.AccountID)
				return err
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
		}
		var first string
		err := tx.QueryRow(ctx, `SELECT id FROM account_accounts ORDER BY created_at, id LIMIT 1`).Scan(&first)
		switch {
		case err == nil:
			if fixed.AccessKeyID != "" {
				return fmt.Errorf("%w: the region already has accounts and %s is not one of their keys", ErrBootstrapKey, fixed.AccessKeyID)
			}
			acct, err = getAccount(ctx, tx, first)
			return err
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		acct = Account{ID: id, Name: "default", CreatedAt: now}
		key = Key{AccessKeyID: akid, Secret: sk, AccountID: id, Status: Active, CreatedAt: now, Principal: RootPrincipal(id, akid)}
		if _, err := tx.Exec(ctx, `INSERT INTO account_accounts (id, name, created_at) VALUES (?, ?, ?)`, id, acct.Name, now.UnixMilli()); err != nil {
			return err
		}
		created = true
		return insertKey(ctx, tx, key, sealed)
	})
	if err != nil {
		return Account{}, Key{}, false, err
	}
	return acct, key, created, nil
}

func getAccount(ctx context.Context, tx store.Tx, id string) (Account, error) {
	var a Account
	var created int64
	if err := tx.QueryRow(ctx, `SELECT id, name, created_at FROM account_accounts WHERE id = ?`, id).Scan(&a.ID, &a.Name, &created); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Account{}, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return Account{}, err
	}
	a.CreatedAt = time.UnixMilli(created).UTC()
	return a, nil
}

// Get returns one account.
func (s *Service) Get(ctx context.Context, id string) (Account, error) {
	var a Account
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		a, err = getAccount(ctx, tx, id)
		return err
	})
	return a, err
}

// List returns all accounts, oldest first.
func (s *Service) List(ctx context.Context) ([]Account, error) {
	var out []Account
	err := s.st.View(ctx, func(tx store.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, `SELECT id, name, created_at FROM account_accounts ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a Account
			var created int64
			if err := rows.Scan(&a.ID, &a.Name, &created); err != nil {
				return err
			}
			a.CreatedAt = time.UnixMilli(created).UTC()
			out = append(out, a)
		}
		return rows.Err()
	})
	return out, err
}

// RootKeys returns an account's root access keys with their secrets.
func (s *Service) RootKeys(ctx context.Context, accountID string) ([]Key, error) {
	if _, err := s.Get(ctx, accountID); err != nil {
		return nil, err
	}
	var out []Key
	err := s.st.View(ctx, func(tx store.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, keyColumns+` WHERE account_id = ? AND principal_type = ? ORDER BY created_at`, accountID, string(caller.Root))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			k, err := s.scanKey(rows)
			if err != nil {
				return err
			}
			out = append(out, k)
		}
		return rows.Err()
	})
	return out, err
}

const keyColumns = `SELECT access_key_id, account_id, principal_type, principal_arn, user_id, user_name, secret, status, created_at FROM account_keys`

type scanner interface{ Scan(dest ...any) error }

func (s *Service) scanKey(r scanner) (Key, error) {
	var k Key
	var ptype string
	var sealed []byte
	var created int64
	if err := r.Scan(&k.AccessKeyID, &k.AccountID, &ptype, &k.Principal.ARN, &k.Principal.UserID, &k.Principal.Name, &sealed, &k.Status, &created); err != nil {
		return Key{}, err
	}
	pt, err := s.box.Open(sealed, k.AccessKeyID)
	if err != nil {
		return Key{}, fmt.Errorf("access key %s: %w", k.AccessKeyID, err)
	}
	k.Secret = string(pt)
	k.CreatedAt = time.UnixMilli(created).UTC()
	k.Principal.Type = caller.PrincipalType(ptype)
	k.Principal.AccountID = k.AccountID
	k.Principal.AccessKeyID = k.AccessKeyID
	return k, nil
}

// LookupKey returns the key with its secret and principal, for signature
// verification. Inactive keys are returned with Status Inactive; the caller
// decides (the authenticator rejects them).
func (s *Service) LookupKey(ctx context.Context, accessKeyID string) (Key, error) {
	var k Key
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		k, err = s.scanKey(tx.QueryRow(ctx, keyColumns+` WHERE access_key_id = ?`, accessKeyID))
		if errors.Is(err, store.ErrNotFound) {
			return ErrKeyNotFound
		}
		return err
	})
	return k, err
}

// Exists reports whether the store holds any account (and so secrets sealed
// with some key file). It needs no key: the composition root uses it to
// refuse starting with a new key over old secrets.
func Exists(ctx context.Context, st store.Store) (bool, error) {
	var found bool
	err := st.View(ctx, func(tx store.Tx) error {
		var id string
		err := tx.QueryRow(ctx, `SELECT id FROM account_accounts LIMIT 1`).Scan(&id)
		found = err == nil
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	return found, err
}
