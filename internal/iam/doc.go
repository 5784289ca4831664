// Package iam is the Identity and Access Management service of an account:
// users, groups, roles, instance profiles, access keys of users, managed and
// inline policies, permissions boundaries, tags and the account alias. It
// owns the iam_* tables (schema.go) and reaches the access-key table only
// through package account's transaction helpers.
//
// Every operation is authorized through the Authorizer (iam:<Action> on the
// entity's ARN) before it reads or changes anything, and is confined to the
// caller's account. Policy documents are validated by internal/iam/policy
// before they are stored; invalid ones change nothing.
//
// The package never imports net/http or api packages; time and randomness
// are injected through Options.
package iam
