package authz

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/iam"
	"github.com/nimbuscloud/nimbus/internal/iam/policy"
	"github.com/nimbuscloud/nimbus/internal/secret"
)

// PolicySource is what the authorizer needs from IAM.
type PolicySource interface {
	// EffectivePolicies returns the identity policies (inline and attached,
	// with a user's groups' ones) and the permissions boundary of a user or
	// role (kind iam.KindUser or iam.KindRole).
	EffectivePolicies(ctx context.Context, accountID, kind, name string) (iam.Effective, error)
	// ManagedPolicy returns the default version of a managed policy
	// (customer managed in accountID, or AWS managed).
	ManagedPolicy(ctx context.Context, accountID, arn string) (iam.PolicyDoc, error)
	// PrincipalTags returns a user's or role's tags (aws:PrincipalTag).
	PrincipalTags(ctx context.Context, accountID, kind, name string) (map[string]string, error)
}

// Options configures an Authorizer.
type Options struct {
	Now func() time.Time
	// TTL bounds how long a compiled policy set is reused when no change
	// was reported in this process (changes made by other servers sharing
	// the store show up after at most TTL).
	TTL time.Duration
	// Box, when set, seals each denial's details into Denied.Encoded.
	Box *secret.Box
}

// Authorizer decides requests for every service.
type Authorizer struct {
	src PolicySource
	now func() time.Time
	ttl time.Duration
	box *secret.Box

	mu          sync.Mutex
	generations map[string]uint64 // account -> bumped on every reported change
	sets        map[string]cachedSet
}

type cachedSet struct {
	set        policy.PolicySet
	tags       map[string]string // the principal's IAM tags
	generation uint64
	expires    time.Time
}

// New returns an Authorizer reading policies from src.
func New(src PolicySource, o Options) *Authorizer {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TTL == 0 {
		o.TTL = 2 * time.Second
	}
	return &Authorizer{src: src, now: o.Now, ttl: o.TTL, box: o.Box, generations: map[string]uint64{}, sets: map[string]cachedSet{}}
}

// PermissionsChanged drops every cached policy set of accountID (iam.Changes).
func (a *Authorizer) PermissionsChanged(accountID string) {
	a.mu.Lock()
	a.generations[accountID]++
	a.mu.Unlock()
}

// Authorize decides action on resource (in the caller's account) for the
// caller in ctx; keys are the service's condition keys.
func (a *Authorizer) Authorize(ctx context.Context, action, resource string, keys map[string][]string) error {
	return a.decide(ctx, action, resource, "", nil, keys)
}

// AuthorizeWithPolicy decides with a resource-based policy (a role's trust
// policy, a bucket policy) of the resource's account. An empty
// resourcePolicy means the resource has none.
func (a *Authorizer) AuthorizeWithPolicy(ctx context.Context, action, resource, resourceAccount, resourcePolicy string, keys map[string][]string) error {
	var resPolicies []*policy.Named
	if resourcePolicy != "" {
		kind := policy.Resource
		if strings.HasPrefix(strings.ToLower(action), "sts:") {
			kind = policy.Trust
		}
		doc, err := policy.Parse(resourcePolicy, kind)
		if err != nil {
			return fmt.Errorf("authz: stored resource policy of %s does not parse: %w", resource, err)
		}
		resPolicies = []*policy.Named{{ID: resource, Doc: doc}}
	}
	return a.decide(ctx, action, resource, resourceAccount, resPolicies, keys)
}

func (a *Authorizer) decide(ctx context.Context, action, resource, resourceAccount string, resPolicies []*policy.Named, keys map[string][]string) error {
	c := caller.From(ctx)
	if c == nil {
		return &Denied{Message: "Request has no authenticated caller"}
	}
	p := c.Principal
	if reason := sessionRestriction(p, action); reason != "" {
		return &Denied{Message: message(p, action, resource, reason)}
	}
	set := policy.PolicySet{Resource: resPolicies}
	var tags map[string]string
	if p.Type != caller.Root && !c.Anonymous() {
		s, err := a.identitySet(ctx, p)
		if err != nil {
			return err
		}
		set.Identity, set.Boundary, set.Session = s.set.Identity, s.set.Boundary, s.set.Session
		tags = s.tags
	}
	req := policy.Request{
		Principal:       principalOf(p),
		Action:          action,
		Resource:        resource,
		ResourceAccount: resourceAccount,
	}
	// With no policy there is no condition to read the keys (the common
	// case of an account's root on its own resources).
	if len(set.Identity) > 0 || len(set.Resource) > 0 || set.Boundary != nil || set.Session != nil {
		req.Context = contextKeys(c, resourceAccount, tags, keys)
	}
	d := policy.Evaluate(set, req)
	if d.Allowed {
		return nil
	}
	return a.denied(p, req, d)
}

// sessionRestriction applies AWS's fixed limits of GetSessionToken
// credentials without MFA: no IAM, and of STS only AssumeRole and
// GetCallerIdentity.
func sessionRestriction(p caller.Principal, action string) string {
	if p.Session == nil || p.Session.Kind != caller.SessionGetSessionToken {
		return ""
	}
	a := strings.ToLower(action)
	switch {
	case strings.HasPrefix(a, "iam:"):
		return "because IAM actions cannot be called with GetSessionToken credentials without MFA"
	case strings.HasPrefix(a, "sts:") && a != "sts:assumerole" && a != "sts:getcalleridentity":
		return "because only sts:AssumeRole and sts:GetCallerIdentity can be called with GetSessionToken credentials"
	}
	return ""
}

// identitySet returns the compiled identity side of a principal and its IAM
// tags, cached until the account reports a change or the TTL passes.
func (a *Authorizer) identitySet(ctx context.Context, p caller.Principal) (cachedSet, error) {
	cacheKey := p.ARN + "\x00" + p.AccessKeyID
	now := a.now()
	a.mu.Lock()
	gen := a.generations[p.AccountID]
	e, ok := a.sets[cacheKey]
	a.mu.Unlock()
	if ok && e.generation == gen && now.Before(e.expires) {
		return e, nil
	}
	set, err := a.loadSet(ctx, p)
	if err != nil {
		return cachedSet{}, err
	}
	kind := iam.KindUser
	if p.Type == caller.AssumedRole {
		kind = iam.KindRole
	}
	tags, err := a.src.PrincipalTags(ctx, p.AccountID, kind, p.Name)
	if err != nil {
		return cachedSet{}, fmt.Errorf("authz: tags of %s: %w", p.ARN, err)
	}
	e = cachedSet{set: set, tags: tags, generation: gen, expires: now.Add(a.ttl)}
	a.mu.Lock()
	if len(a.sets) > 100000 {
		clear(a.sets)
	}
	a.sets[cacheKey] = e
	a.mu.Unlock()
	return e, nil
}

func (a *Authorizer) loadSet(ctx context.Context, p caller.Principal) (policy.PolicySet, error) {
	var set policy.PolicySet
	kind, name := iam.KindUser, p.Name
	if p.Type == caller.AssumedRole {
		kind = iam.KindRole
	}
	eff, err := a.src.EffectivePolicies(ctx, p.AccountID, kind, name)
	if errors.Is(err, iam.ErrNoSuchEntity) {
		// The user or role is gone (its session outlived it): nothing
		// allows anything.
		return set, nil
	}
	if err != nil {
		return set, fmt.Errorf("authz: policies of %s: %w", p.ARN, err)
	}
	for _, d := range eff.Identity {
		n, err := parseNamed(d, policy.Identity)
		if err != nil {
			return set, err
		}
		set.Identity = append(set.Identity, n)
	}
	if eff.Boundary != nil {
		if set.Boundary, err = parseNamed(*eff.Boundary, policy.Boundary); err != nil {
			return set, err
		}
	}
	if s := p.Session; s.HasSessionPolicies() {
		set.Session = []*policy.Named{}
		if s.Policy != "" {
			n, err := parseNamed(iam.PolicyDoc{ID: "session-policy", Document: s.Policy}, policy.Session)
			if err != nil {
				return set, err
			}
			set.Session = append(set.Session, n)
		}
		for _, arn := range s.PolicyARNs {
			d, err := a.src.ManagedPolicy(ctx, p.AccountID, arn)
			if errors.Is(err, iam.ErrNoSuchEntity) {
				// A session policy that does not exist allows nothing;
				// the session stays limited (fails closed).
				continue
			}
			if err != nil {
				return set, fmt.Errorf("authz: session policy %s: %w", arn, err)
			}
			n, err := parseNamed(d, policy.Session)
			if err != nil {
				return set, err
			}
			set.Session = append(set.Session, n)
		}
	}
	return set, nil
}

func parseNamed(d iam.PolicyDoc, kind policy.Kind) (*policy.Named, error) {
	doc, err := policy.Parse(d.Document, kind)
	if err != nil {
		return nil, fmt.Errorf("authz: stored policy %s does not parse: %w", d.ID, err)
	}
	return &policy.Named{ID: d.ID, Doc: doc}, nil
}

func principalOf(p caller.Principal) policy.Principal {
	return policy.Principal{ARN: p.ARN, Account: p.AccountID, RoleARN: p.RoleARN, IsRoot: p.Type == caller.Root}
}

// contextKeys builds the global condition keys of the request and adds the
// service's own. Keys are stored lower-cased (condition keys are
// case-insensitive); the literals below are already lower case.
func contextKeys(c *caller.Caller, resourceAccount string, iamTags map[string]string, keys map[string][]string) map[string][]string {
	p := c.Principal
	m := make(map[string][]string, 16+len(keys)+len(p.Tags)+len(iamTags))
	now := c.Time.UTC()
	m["aws:currenttime"] = []string{now.Format(time.RFC3339)}
	m["aws:epochtime"] = []string{strconv.FormatInt(now.Unix(), 10)}
	m["aws:securetransport"] = []string{strconv.FormatBool(c.Secure)}
	m["aws:requestedregion"] = []string{c.Region}
	if c.SourceIP.IsValid() {
		m["aws:sourceip"] = []string{c.SourceIP.String()}
	}
	if !c.Anonymous() {
		m["aws:principalaccount"] = []string{p.AccountID}
		m["aws:userid"] = []string{p.UserID}
		switch p.Type {
		case caller.Root:
			m["aws:principaltype"] = []string{"Account"}
			m["aws:principalarn"] = []string{p.ARN}
		case caller.User:
			m["aws:principaltype"] = []string{"User"}
			m["aws:principalarn"] = []string{p.ARN}
			m["aws:username"] = []string{p.Name}
		case caller.AssumedRole:
			m["aws:principaltype"] = []string{"AssumedRole"}
			m["aws:principalarn"] = []string{p.RoleARN}
		}
		// The user's or role's IAM tags, overridden by session tags.
		for k, v := range iamTags {
			m["aws:principaltag/"+strings.ToLower(k)] = []string{v}
		}
		for k, v := range p.Tags {
			m["aws:principaltag/"+strings.ToLower(k)] = []string{v}
		}
		if s := p.Session; s != nil {
			m["aws:multifactorauthpresent"] = []string{"false"}
			m["aws:tokenissuetime"] = []string{s.IssuedAt.UTC().Format(time.RFC3339)}
			if s.SourceIdentity != "" {
				m["aws:sourceidentity"] = []string{s.SourceIdentity}
			}
		}
	}
	acct := resourceAccount
	if acct == "" {
		acct = p.AccountID
	}
	if acct != "" {
		m["aws:resourceaccount"] = []string{acct}
	}
	for k, v := range keys {
		m[strings.ToLower(k)] = v
	}
	return m
}

// denied builds the denial, sealing its details for EC2 when it can.
func (a *Authorizer) denied(p caller.Principal, req policy.Request, d policy.Decision) *Denied {
	out := &Denied{Message: message(p, req.Action, req.Resource, reasonText(d, req.Action))}
	if a.box == nil || p.AccountID == "" {
		return out
	}
	type item struct {
		Key    string   `json:"key"`
		Values []string `json:"values"`
	}
	details := struct {
		Allowed      bool           `json:"allowed"`
		ExplicitDeny bool           `json:"explicitDeny"`
		Matched      []policy.Match `json:"matchedStatements"`
		Context      struct {
			Principal  map[string]string `json:"principal"`
			Action     string            `json:"action"`
			Resource   string            `json:"resource"`
			Conditions []item            `json:"conditions"`
		} `json:"context"`
	}{Allowed: false, ExplicitDeny: isExplicit(d), Matched: d.Matched}
	details.Context.Principal = map[string]string{"id": p.UserID, "name": p.Name, "arn": p.ARN}
	details.Context.Action, details.Context.Resource = req.Action, req.Resource
	keys := make([]string, 0, len(req.Context))
	for k := range req.Context {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		details.Context.Conditions = append(details.Context.Conditions, item{Key: k, Values: req.Context[k]})
	}
	if js, err := json.Marshal(details); err == nil {
		out.Encoded = base64.StdEncoding.EncodeToString(a.box.Seal(js, MessageAAD(p.AccountID)))
	}
	return out
}

// message is AWS's denial sentence.
func message(p caller.Principal, action, resource, reason string) string {
	who := p.ARN
	if who == "" {
		who = "anonymous"
	}
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", who, action, resource, reason)
}

// reasonText is the end of AWS's denial sentence for d.
func reasonText(d policy.Decision, action string) string { return d.Reason.Tail(action) }

func isExplicit(d policy.Decision) bool { return d.Reason.Explicit() }
