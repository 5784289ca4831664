package iam

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Unique-ID prefixes, as AWS uses them.
const (
	PrefixUser            = "AIDA"
	PrefixGroup           = "AGPA"
	PrefixRole            = "AROA"
	PrefixPolicy          = "ANPA"
	PrefixInstanceProfile = "AIPA"
)

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// newID returns prefix + 17 random characters (21 in all, as AWS's IDs).
func (s *Service) newID(prefix string) (string, error) {
	buf := make([]byte, 17)
	if _, err := io.ReadFull(s.rand, buf); err != nil {
		return "", fmt.Errorf("iam: random: %w", err)
	}
	for i, b := range buf {
		buf[i] = idAlphabet[int(b)%len(idAlphabet)] // 256 % 32 == 0: unbiased
	}
	return prefix + string(buf), nil
}

var (
	nameRE  = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathRE  = regexp.MustCompile(`^/([\x21-\x7e]*/)?$`)
	aliasRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9]|-[a-z0-9])*$`)
)

// validateName checks an IAM entity name ([\w+=,.@-]+, at most max).
func validateName(field, name string, max int) error {
	if name == "" || len(name) > max || !nameRE.MatchString(name) {
		return errorf(ErrValidation, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length between 1 and %d and match pattern [\\w+=,.@-]+", name, field, max)
	}
	return nil
}

// normPath validates a path (default "/"): it starts and ends with '/', at
// most 512 characters of printable ASCII.
func normPath(field, p string) (string, error) {
	if p == "" {
		return "/", nil
	}
	if len(p) > 512 || !pathRE.MatchString(p) {
		return "", errorf(ErrValidation, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must begin and end with '/' and contain only printable ASCII characters", p, field)
	}
	return p, nil
}

func nameKey(name string) string { return strings.ToLower(name) }

// Name limits, per the IAM API reference.
const (
	maxUserName    = 64
	maxGroupName   = 128
	maxRoleName    = 64
	maxPolicyName  = 128
	maxProfileName = 128
)

// ARNs of IAM entities.
func userARN(acct, path, name string) string  { return "arn:aws:iam::" + acct + ":user" + path + name }
func groupARN(acct, path, name string) string { return "arn:aws:iam::" + acct + ":group" + path + name }
func roleARN(acct, path, name string) string  { return "arn:aws:iam::" + acct + ":role" + path + name }
func policyARN(acct, path, name string) string {
	return "arn:aws:iam::" + acct + ":policy" + path + name
}
func profileARN(acct, path, name string) string {
	return "arn:aws:iam::" + acct + ":instance-profile" + path + name
}
