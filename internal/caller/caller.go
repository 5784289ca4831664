package caller

import (
	"context"
	"net/netip"
	"time"
)

// PrincipalType says what kind of identity signed the request.
type PrincipalType string

const (
	Root        PrincipalType = "Root"        // an account's root credentials
	User        PrincipalType = "IAMUser"     // an IAM user's access key
	AssumedRole PrincipalType = "AssumedRole" // STS session of a role
	Anonymous   PrincipalType = "Anonymous"   // unsigned request
)

// Principal is the resolved identity of a request.
type Principal struct {
	Type        PrincipalType
	AccountID   string // 12 digits
	ARN         string // arn:aws:iam::<acct>:root, ...:user/<path><name>, arn:aws:sts::<acct>:assumed-role/<role>/<session>
	UserID      string // GetCallerIdentity's UserId: account ID for root, AIDA... for users, AROA...:session for roles
	Name        string // user name or role name; empty for root
	SessionName string // for assumed roles
	AccessKeyID string
	Tags        map[string]string // principal (and session) tags, for aws:PrincipalTag
	// RoleARN is the IAM ARN of an assumed role (arn:aws:iam::<acct>:role/<path><name>).
	RoleARN string
	// Session is set for temporary credentials and says what limits them.
	Session *Session
}

// Session kinds.
const (
	SessionAssumeRole      = "AssumeRole"
	SessionGetSessionToken = "GetSessionToken"
)

// Session describes temporary credentials.
type Session struct {
	Kind              string   // SessionAssumeRole or SessionGetSessionToken
	Policy            string   // inline session policy, "" if none
	PolicyARNs        []string // managed policies passed as session policies
	TransitiveTagKeys []string
	SourceIdentity    string
	Chained           bool // assumed with temporary role credentials
	IssuedAt          time.Time
	Expires           time.Time
}

// HasSessionPolicies reports whether session policies limit the principal.
func (s *Session) HasSessionPolicies() bool {
	return s != nil && (s.Policy != "" || len(s.PolicyARNs) > 0)
}

// Caller is the request context every service call receives.
type Caller struct {
	Principal Principal
	SourceIP  netip.Addr
	Secure    bool      // arrived over TLS
	Time      time.Time // when the request was received (server clock)
	Region    string
	RequestID string
}

// Anonymous reports whether the request was unsigned.
func (c *Caller) Anonymous() bool { return c.Principal.Type == Anonymous || c.Principal.Type == "" }

type ctxKey struct{}

// With returns a context carrying c.
func With(ctx context.Context, c *Caller) context.Context { return context.WithValue(ctx, ctxKey{}, c) }

// From returns the Caller in ctx, or nil.
func From(ctx context.Context) *Caller {
	c, _ := ctx.Value(ctxKey{}).(*Caller)
	return c
}
