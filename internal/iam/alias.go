package iam

import (
	"context"
	"errors"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// validateAlias checks an account alias: 3-63 characters of lower-case
// letters, digits and single hyphens, starting and ending alphanumeric.
func validateAlias(alias string) error {
	if len(alias) < 3 || len(alias) > 63 || !aliasRE.MatchString(alias) {
		return errorf(ErrValidation, "1 validation error detected: Value '%s' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", alias)
	}
	return nil
}

// CreateAccountAlias sets the account's alias. Aliases are unique across
// the region (EntityAlreadyExists when any account, this one included,
// holds it). An account has at most one: creating another replaces it, as
// AWS does.
func (s *Service) CreateAccountAlias(ctx context.Context, alias string) error {
	if err := validateAlias(alias); err != nil {
		return err
	}
	if _, _, err := callerAccount(ctx); err != nil {
		return err
	}
	acct, err := s.authorize(ctx, "iam:CreateAccountAlias", "*", nil)
	if err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		var holder string
		err := tx.QueryRow(ctx, `SELECT account_id FROM iam_account_aliases WHERE alias = ?`, alias).Scan(&holder)
		if err == nil {
			return errorf(ErrEntityAlreadyExists, "The account alias %s already exists.", alias)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO iam_account_aliases (account_id, alias) VALUES (?, ?)
			ON CONFLICT (account_id) DO UPDATE SET alias = excluded.alias`, acct, alias)
		if errors.Is(err, store.ErrConflict) {
			return errorf(ErrEntityAlreadyExists, "The account alias %s already exists.", alias)
		}
		return err
	})
}

// ListAccountAliases returns the account's alias (none or one).
func (s *Service) ListAccountAliases(ctx context.Context, page PageInput) (Listing[string], error) {
	if _, _, err := page.decode(); err != nil {
		return Listing[string]{}, err
	}
	if _, _, err := callerAccount(ctx); err != nil {
		return Listing[string]{}, err
	}
	acct, err := s.authorize(ctx, "iam:ListAccountAliases", "*", nil)
	if err != nil {
		return Listing[string]{}, err
	}
	var aliases []string
	err = s.st.View(ctx, func(tx store.Tx) error {
		aliases = aliases[:0]
		var a string
		err := tx.QueryRow(ctx, `SELECT alias FROM iam_account_aliases WHERE account_id = ?`, acct).Scan(&a)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		aliases = append(aliases, a)
		return err
	})
	if err != nil {
		return Listing[string]{}, err
	}
	return pageOf(aliases, page, func(a string) string { return a })
}

// DeleteAccountAlias removes the account's alias, which must be the one
// named.
func (s *Service) DeleteAccountAlias(ctx context.Context, alias string) error {
	if err := validateAlias(alias); err != nil {
		return err
	}
	if _, _, err := callerAccount(ctx); err != nil {
		return err
	}
	acct, err := s.authorize(ctx, "iam:DeleteAccountAlias", "*", nil)
	if err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		n, err := tx.Exec(ctx, `DELETE FROM iam_account_aliases WHERE account_id = ? AND alias = ?`, acct, alias)
		if err == nil && n == 0 {
			return errorf(ErrNoSuchEntity, "The account alias %s cannot be found.", alias)
		}
		return err
	})
}
