// Package sts is the Security Token Service: GetCallerIdentity,
// GetSessionToken, AssumeRole, GetAccessKeyInfo and
// DecodeAuthorizationMessage, and the temporary credentials (ASIA access
// keys with a session token) they issue.
//
// It owns the sts_sessions table. Session secrets are sealed at rest like
// long-term secrets; tokens are stored only as SHA-256 hashes, so a copy of
// the database does not yield usable credentials. A role session stops
// working when it expires or when its role is deleted (sessions remember
// the role's unique ID, so re-creating a role does not revive them).
//
// AssumeRole evaluates the role's trust policy as a resource-based policy
// through the same authorizer every service uses, so the identity side
// (the caller's own policies, boundary and session policies) and the trust
// side are decided by one evaluator. The package never imports net/http or
// api packages.
package sts
