package sts

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/iam"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// Schema is STS's table.
func Schema() store.Schema {
	return store.Schema{Component: "sts", Migrations: []store.Migration{{
		Version: 1,
		Name:    "sessions",
		SQL: `
CREATE TABLE sts_sessions (
	access_key_id   TEXT PRIMARY KEY,
	account_id      TEXT NOT NULL,
	secret          BLOB NOT NULL,
	token_hash      BLOB NOT NULL,
	kind            TEXT NOT NULL,
	principal       TEXT NOT NULL,
	role_id         TEXT NOT NULL DEFAULT '',
	issued_at       BIGINT NOT NULL,
	expires_at      BIGINT NOT NULL
);
CREATE INDEX sts_sessions_by_expiry ON sts_sessions(expires_at);
`,
	}}}
}

// session is one issued set of temporary credentials.
type session struct {
	AccessKeyID string
	AccountID   string
	Secret      string
	Token       string // only when just issued
	TokenHash   []byte
	RoleID      string // the unique ID of the role (AROA...) or user (AIDA...) the session belongs to
	Principal   caller.Principal
	IssuedAt    time.Time
	Expires     time.Time
}

// Credentials are what the client receives.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func (s *Service) randomString(alphabet string, n int) (string, error) {
	buf := make([]byte, n)
	if _, err := io.ReadFull(s.rand, buf); err != nil {
		return "", fmt.Errorf("sts: random: %w", err)
	}
	for i, b := range buf {
		buf[i] = alphabet[int(b)%len(alphabet)]
	}
	return string(buf), nil
}

// issue mints credentials for p, valid for d, and stores the session.
func (s *Service) issue(ctx context.Context, p caller.Principal, roleID string, d time.Duration) (Credentials, error) {
	id, err := s.randomString(keyAlphabet, 16)
	if err != nil {
		return Credentials{}, err
	}
	akid := "ASIA" + id
	secretKey, err := s.randomString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[:64], 40)
	if err != nil {
		return Credentials{}, err
	}
	raw := make([]byte, 96)
	if _, err := io.ReadFull(s.rand, raw); err != nil {
		return Credentials{}, err
	}
	token := "IQoJb2Jp" + base64.StdEncoding.EncodeToString(raw) // opaque; shaped like AWS's
	sum := sha256.Sum256([]byte(token))
	now := s.now().UTC().Truncate(time.Second)
	p.AccessKeyID = akid
	if p.Session != nil {
		p.Session.IssuedAt, p.Session.Expires = now, now.Add(d)
	}
	pj, err := json.Marshal(p)
	if err != nil {
		return Credentials{}, err
	}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		// Drop sessions that expired more than a day ago while we are here.
		if _, err := tx.Exec(ctx, `DELETE FROM sts_sessions WHERE expires_at < ?`, now.Add(-24*time.Hour).UnixMilli()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO sts_sessions (access_key_id, account_id, secret, token_hash, kind, principal, role_id, issued_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			akid, p.AccountID, s.box.Seal([]byte(secretKey), akid), sum[:], string(p.Type), string(pj), roleID,
			now.UnixMilli(), now.Add(d).UnixMilli())
		return err
	})
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{AccessKeyID: akid, SecretAccessKey: secretKey, SessionToken: token, Expiration: now.Add(d)}, nil
}

// session loads a stored session.
func (s *Service) session(ctx context.Context, akid string) (session, error) {
	var (
		sess    session
		sealed  []byte
		pj      string
		issued  int64
		expires int64
	)
	err := s.st.View(ctx, func(tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT access_key_id, account_id, secret, token_hash, principal, role_id, issued_at, expires_at
			FROM sts_sessions WHERE access_key_id = ?`, akid).
			Scan(&sess.AccessKeyID, &sess.AccountID, &sealed, &sess.TokenHash, &pj, &sess.RoleID, &issued, &expires)
	})
	if errors.Is(err, store.ErrNotFound) {
		return session{}, ErrSessionNotFound
	}
	if err != nil {
		return session{}, err
	}
	sk, err := s.box.Open(sealed, akid)
	if err != nil {
		return session{}, fmt.Errorf("session %s: %w", akid, err)
	}
	sess.Secret = string(sk)
	if err := json.Unmarshal([]byte(pj), &sess.Principal); err != nil {
		return session{}, fmt.Errorf("session %s: %w", akid, err)
	}
	sess.IssuedAt, sess.Expires = time.UnixMilli(issued).UTC(), time.UnixMilli(expires).UTC()
	return sess, nil
}

// currentPrincipal refreshes a session's principal from its owner's
// current row (by unique ID): a session follows its user through renames,
// and a session whose role or user was deleted is unknown.
func (s *Service) currentPrincipal(ctx context.Context, sess session) (caller.Principal, error) {
	p := sess.Principal
	if sess.RoleID == "" {
		return p, nil // root's session token
	}
	switch p.Type {
	case caller.User:
		name, arn, err := s.roles.UserByID(ctx, sess.AccountID, sess.RoleID)
		if errors.Is(err, iam.ErrNoSuchEntity) {
			return p, account.ErrKeyNotFound
		}
		if err != nil {
			return p, err
		}
		p.Name, p.ARN = name, arn
	case caller.AssumedRole:
		role, err := s.roles.RoleByID(ctx, sess.AccountID, sess.RoleID)
		if errors.Is(err, iam.ErrNoSuchEntity) {
			return p, account.ErrKeyNotFound
		}
		if err != nil {
			return p, err
		}
		p.Name, p.RoleARN = role.Name, role.ARN
	}
	return p, nil
}

// LookupKey resolves temporary (ASIA) credentials for the gateway: the
// secret, the principal, the token hash the request must match and the
// expiry. A session whose role or user was deleted is unknown.
func (s *Service) LookupKey(ctx context.Context, accessKeyID string) (account.Key, error) {
	sess, err := s.session(ctx, accessKeyID)
	if errors.Is(err, ErrSessionNotFound) {
		return account.Key{}, account.ErrKeyNotFound
	}
	if err != nil {
		return account.Key{}, err
	}
	p, err := s.currentPrincipal(ctx, sess)
	if err != nil {
		return account.Key{}, err
	}
	sess.Principal = p
	return account.Key{
		AccessKeyID: sess.AccessKeyID,
		Secret:      sess.Secret,
		AccountID:   sess.AccountID,
		Status:      account.Active,
		CreatedAt:   sess.IssuedAt,
		Principal:   sess.Principal,
		Temporary:   true,
		TokenHash:   sess.TokenHash,
		Expires:     sess.Expires,
	}, nil
}
