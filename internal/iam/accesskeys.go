package iam

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// AccessKey is a new access key with its secret (CreateAccessKey's answer,
// the only time the secret is shown) or a listed key without it.
type AccessKey struct {
	UserName    string // "" for the account's root keys
	AccessKeyID string
	Status      string // Active | Inactive
	Secret      string // only from CreateAccessKey
	CreatedAt   time.Time
}

// AccessKeyLastUsed is GetAccessKeyLastUsed's answer. For a key never used
// LastUsed is nil and ServiceName/Region are "N/A", as AWS answers. Uses
// are recorded by the gateway and flushed about every second.
type AccessKeyLastUsed struct {
	UserName    string
	LastUsed    *time.Time
	ServiceName string
	Region      string
}

var accessKeyIDRE = regexp.MustCompile(`^\w{16,128}$`)

func validateAccessKeyID(id string) error {
	if !accessKeyIDRE.MatchString(id) {
		return errorf(ErrValidation, "1 validation error detected: Value '%s' at 'accessKeyId' failed to satisfy constraint: Member must have length between 16 and 128 and match pattern [\\w]+", id)
	}
	return nil
}

func noSuchKey(id string) error {
	return errorf(ErrNoSuchEntity, "The Access Key with id %s cannot be found.", id)
}

// userTarget is the user an operation that defaults to the caller (GetUser,
// the access-key operations) applies to.
type userTarget struct {
	acct string
	user string // "" with root
	root bool
}

// resolveUserTarget authorizes action on userName or, when it is empty, on
// the caller itself (root credentials get the account root, e.g. root
// keys; an IAM user itself; anything else must name a user, as in AWS).
func (s *Service) resolveUserTarget(ctx context.Context, action, userName string) (userTarget, error) {
	c, acct, err := callerAccount(ctx)
	if err != nil {
		return userTarget{}, err
	}
	if userName == "" {
		switch c.Principal.Type {
		case caller.Root:
			if _, err := s.authorize(ctx, action, c.Principal.ARN, nil); err != nil {
				return userTarget{}, err
			}
			return userTarget{acct: acct, root: true}, nil
		case caller.User:
			userName = c.Principal.Name
		default:
			return userTarget{}, errorf(ErrValidation, "Must specify userName when calling with non-User credentials")
		}
	}
	if err := validateName("userName", userName, 128); err != nil {
		return userTarget{}, err
	}
	if _, err := s.authorizeEntity(ctx, action, KindUser, userName, nil); err != nil {
		return userTarget{}, err
	}
	return userTarget{acct: acct, user: userName}, nil
}

// CreateAccessKey makes a new key for a user (at most two per user), or
// for the caller itself when userName is empty (a root key for root
// credentials, as AWS does).
func (s *Service) CreateAccessKey(ctx context.Context, userName string) (AccessKey, error) {
	t, err := s.resolveUserTarget(ctx, "iam:CreateAccessKey", userName)
	if err != nil {
		return AccessKey{}, err
	}
	if s.accounts == nil {
		return AccessKey{}, fmt.Errorf("iam: no account service configured for access keys")
	}
	if t.root {
		// Root keys are counted outside the insert's transaction: the
		// account package has no transactional root-key listing.
		keys, err := s.accounts.RootKeys(ctx, t.acct)
		if err != nil {
			return AccessKey{}, err
		}
		if len(keys) >= maxKeysPerUser {
			return AccessKey{}, errorf(ErrLimitExceeded, "Cannot exceed quota for AccessKeysPerUser: %d", maxKeysPerUser)
		}
	}
	var k account.Key
	var owner string
	err = s.st.Update(ctx, func(tx store.Tx) error {
		var err error
		if t.root {
			k, err = s.accounts.CreateKeyTx(ctx, tx, account.RootPrincipal(t.acct, ""))
			return err
		}
		u, err := userRows.getTx(ctx, tx, t.acct, t.user)
		if err != nil {
			return err
		}
		keys, err := account.ListUserKeysTx(ctx, tx, t.acct, u.Name)
		if err != nil {
			return err
		}
		if len(keys) >= maxKeysPerUser {
			return errorf(ErrLimitExceeded, "Cannot exceed quota for AccessKeysPerUser: %d", maxKeysPerUser)
		}
		owner = u.Name
		k, err = s.accounts.CreateKeyTx(ctx, tx, account.UserPrincipal(t.acct, u.ARN, u.ID, u.Name))
		return err
	})
	if err != nil {
		return AccessKey{}, err
	}
	return AccessKey{UserName: owner, AccessKeyID: k.AccessKeyID, Status: k.Status, Secret: k.Secret, CreatedAt: k.CreatedAt}, nil
}

// ListAccessKeys lists a user's keys (or the caller's own, see
// CreateAccessKey) without their secrets, oldest first.
func (s *Service) ListAccessKeys(ctx context.Context, userName string, page PageInput) (Listing[AccessKey], error) {
	if _, _, err := page.decode(); err != nil {
		return Listing[AccessKey]{}, err
	}
	t, err := s.resolveUserTarget(ctx, "iam:ListAccessKeys", userName)
	if err != nil {
		return Listing[AccessKey]{}, err
	}
	var keys []AccessKey
	if t.root {
		if s.accounts == nil {
			return Listing[AccessKey]{}, fmt.Errorf("iam: no account service configured for access keys")
		}
		rk, err := s.accounts.RootKeys(ctx, t.acct)
		if err != nil {
			return Listing[AccessKey]{}, err
		}
		for _, k := range rk {
			keys = append(keys, AccessKey{AccessKeyID: k.AccessKeyID, Status: k.Status, CreatedAt: k.CreatedAt})
		}
	} else {
		err = s.st.View(ctx, func(tx store.Tx) error {
			keys = keys[:0]
			u, err := userRows.getTx(ctx, tx, t.acct, t.user)
			if err != nil {
				return err
			}
			metas, err := account.ListUserKeysTx(ctx, tx, t.acct, u.Name)
			for _, m := range metas {
				keys = append(keys, AccessKey{UserName: u.Name, AccessKeyID: m.AccessKeyID, Status: m.Status, CreatedAt: m.CreatedAt})
			}
			return err
		})
		if err != nil {
			return Listing[AccessKey]{}, err
		}
	}
	return pageOf(keys, page, func(k AccessKey) string {
		return fmt.Sprintf("%020d/%s", k.CreatedAt.UnixMilli(), k.AccessKeyID)
	})
}

// UpdateAccessKey sets a key Active or Inactive. The key must belong to
// the named user (or the caller, see CreateAccessKey). The authentication
// cache forgets the key at once.
func (s *Service) UpdateAccessKey(ctx context.Context, userName, accessKeyID, status string) error {
	if err := validateAccessKeyID(accessKeyID); err != nil {
		return err
	}
	if status != account.Active && status != account.Inactive {
		return errorf(ErrValidation, "1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", status)
	}
	t, err := s.resolveUserTarget(ctx, "iam:UpdateAccessKey", userName)
	if err != nil {
		return err
	}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if err := checkKeyOwnerTx(ctx, tx, t, accessKeyID); err != nil {
			return err
		}
		return account.SetKeyStatusTx(ctx, tx, t.acct, accessKeyID, status)
	})
	if err != nil {
		return mapKeyErr(err, accessKeyID)
	}
	s.forgetKey(accessKeyID)
	return nil
}

// DeleteAccessKey deletes a key of the named user (or the caller). The
// authentication cache forgets it at once.
func (s *Service) DeleteAccessKey(ctx context.Context, userName, accessKeyID string) error {
	if err := validateAccessKeyID(accessKeyID); err != nil {
		return err
	}
	t, err := s.resolveUserTarget(ctx, "iam:DeleteAccessKey", userName)
	if err != nil {
		return err
	}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if err := checkKeyOwnerTx(ctx, tx, t, accessKeyID); err != nil {
			return err
		}
		return account.DeleteKeyTx(ctx, tx, t.acct, accessKeyID)
	})
	if err != nil {
		return mapKeyErr(err, accessKeyID)
	}
	s.forgetKey(accessKeyID)
	return nil
}

// GetAccessKeyLastUsed tells who owns a key of the caller's account and
// when it was last used. It is
// authorized on the owning user's ARN (the root ARN for root keys).
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, accessKeyID string) (AccessKeyLastUsed, error) {
	if err := validateAccessKeyID(accessKeyID); err != nil {
		return AccessKeyLastUsed{}, err
	}
	_, acct, err := callerAccount(ctx)
	if err != nil {
		return AccessKeyLastUsed{}, err
	}
	var m account.KeyMeta
	var ptype caller.PrincipalType
	err = s.st.View(ctx, func(tx store.Tx) error {
		var err error
		m, ptype, err = account.KeyOwnerTx(ctx, tx, acct, accessKeyID)
		return err
	})
	if err != nil {
		return AccessKeyLastUsed{}, mapKeyErr(err, accessKeyID)
	}
	if ptype == caller.User {
		_, err = s.authorizeEntity(ctx, "iam:GetAccessKeyLastUsed", KindUser, m.UserName, nil)
	} else {
		_, err = s.authorize(ctx, "iam:GetAccessKeyLastUsed", "arn:aws:iam::"+acct+":root", nil)
	}
	if err != nil {
		return AccessKeyLastUsed{}, err
	}
	out := AccessKeyLastUsed{ServiceName: "N/A", Region: "N/A"}
	if ptype == caller.User {
		out.UserName = m.UserName
	}
	var use account.KeyUse
	err = s.st.View(ctx, func(tx store.Tx) error {
		var err error
		use, err = account.KeyLastUsedTx(ctx, tx, acct, accessKeyID)
		return err
	})
	if err != nil {
		return AccessKeyLastUsed{}, mapKeyErr(err, accessKeyID)
	}
	if !use.At.IsZero() {
		at := use.At
		out.LastUsed, out.ServiceName, out.Region = &at, use.Service, use.Region
	}
	return out, nil
}

// checkKeyOwnerTx makes sure a key belongs to the target (and that a named
// target user exists).
func checkKeyOwnerTx(ctx context.Context, tx store.Tx, t userTarget, accessKeyID string) error {
	if !t.root {
		if _, err := userRows.getTx(ctx, tx, t.acct, t.user); err != nil {
			return err
		}
	}
	m, ptype, err := account.KeyOwnerTx(ctx, tx, t.acct, accessKeyID)
	if err != nil {
		return err
	}
	if t.root != (ptype == caller.Root) || (!t.root && !strings.EqualFold(m.UserName, t.user)) {
		return noSuchKey(accessKeyID)
	}
	return nil
}

// mapKeyErr turns the account package's not-found into AWS's message.
func mapKeyErr(err error, accessKeyID string) error {
	if errors.Is(err, account.ErrKeyNotFound) {
		return noSuchKey(accessKeyID)
	}
	return err
}
