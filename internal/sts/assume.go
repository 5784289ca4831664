package sts

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/authz"
	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/iam"
	"github.com/nimbuscloud/nimbus/internal/iam/policy"
)

// AssumeRoleInput is AssumeRole's request.
type AssumeRoleInput struct {
	RoleARN           string
	RoleSessionName   string
	DurationSeconds   int // 0: 3600
	Policy            string
	PolicyARNs        []string
	Tags              map[string]string
	TransitiveTagKeys []string
	ExternalID        string
	SourceIdentity    string
}

// AssumedRole is AssumeRole's result.
type AssumedRole struct {
	Credentials      Credentials
	AssumedRoleID    string // AROA...:session
	ARN              string // arn:aws:sts::<acct>:assumed-role/<name>/<session>
	PackedPolicySize int    // percent of the allowed size used
	SourceIdentity   string
}

var (
	sessionNameRE    = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	sourceIdentityRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDRE     = regexp.MustCompile(`^[\w+=,.@:/-]+$`) // 2..1224 characters, checked apart
	tagKeyRE         = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
	tagValueRE       = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$`)
)

// Limits, per the STS API reference.
const (
	maxSessionPolicyChars = 2048
	maxPolicyARNs         = 10
	maxSessionTags        = 50
	minDuration           = 900 * time.Second
	chainedMaxDuration    = time.Hour
)

// AssumeRole issues role credentials when the role's trust policy (and,
// as AWS requires, the caller's own policies) allow sts:AssumeRole.
func (s *Service) AssumeRole(ctx context.Context, in AssumeRoleInput) (AssumedRole, error) {
	c := caller.From(ctx)
	if c == nil || c.Anonymous() {
		return AssumedRole{}, ErrNoCaller
	}
	if err := validateAssume(in); err != nil {
		return AssumedRole{}, err
	}
	if c.Principal.Type == caller.Root {
		return AssumedRole{}, errorf(ErrAccessDenied, "Roles may not be assumed by root accounts.")
	}
	if c.Principal.Session != nil {
		// The caller's own session may have been revoked moments ago (its
		// role or user deleted) while the authentication cache still
		// holds it: check before it buys a new session.
		if err := s.stillValid(ctx, c.Principal.AccessKeyID); err != nil {
			return AssumedRole{}, s.denyAssume(c, in.RoleARN)
		}
	}
	role, err := s.roles.RoleByARN(ctx, in.RoleARN)
	if errors.Is(err, iam.ErrNoSuchEntity) || errors.Is(err, iam.ErrValidation) {
		// Do not reveal whether the role exists: AWS answers AccessDenied.
		return AssumedRole{}, s.denyAssume(c, in.RoleARN)
	}
	if err != nil {
		return AssumedRole{}, err
	}

	chained := c.Principal.Type == caller.AssumedRole
	d := time.Duration(in.DurationSeconds) * time.Second
	if in.DurationSeconds == 0 {
		d = time.Hour
	}
	maxD := role.MaxSessionDuration
	if chained {
		maxD = chainedMaxDuration
	}
	if d < s.minD || d > maxD {
		return AssumedRole{}, errorf(ErrValidation, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	// Session tags: transitive tags of a chained session carry over and
	// may not be overridden; source identity is set once per chain.
	tags := map[string]string{}
	transitive := append([]string(nil), in.TransitiveTagKeys...)
	parentSource := ""
	if chained && c.Principal.Session != nil {
		parentSource = c.Principal.Session.SourceIdentity
		for _, k := range c.Principal.Session.TransitiveTagKeys {
			if v, ok := c.Principal.Tags[k]; ok {
				tags[k] = v
				transitive = append(transitive, k)
			}
		}
	}
	for k := range in.Tags {
		for inherited := range tags {
			if strings.EqualFold(k, inherited) {
				return AssumedRole{}, errorf(ErrValidation, "The session tag %s was set transitively by an earlier session in the chain and cannot be overridden.", k)
			}
		}
	}
	for k, v := range in.Tags {
		tags[k] = v
	}
	if parentSource != "" && in.SourceIdentity != "" && in.SourceIdentity != parentSource {
		return AssumedRole{}, errorf(ErrAccessDenied, "The source identity %s of the calling session cannot be changed.", parentSource)
	}

	keys := map[string][]string{
		"sts:RoleSessionName": {in.RoleSessionName},
	}
	if in.ExternalID != "" {
		keys["sts:ExternalId"] = []string{in.ExternalID}
	}
	if in.SourceIdentity != "" {
		keys["sts:SourceIdentity"] = []string{in.SourceIdentity}
	}
	var tagKeys []string
	for k, v := range in.Tags {
		keys["aws:RequestTag/"+k] = []string{v}
		tagKeys = append(tagKeys, k)
	}
	if len(tagKeys) > 0 {
		keys["aws:TagKeys"] = tagKeys
	}
	if len(in.TransitiveTagKeys) > 0 {
		keys["sts:TransitiveTagKeys"] = in.TransitiveTagKeys
	}
	// The trust policy and the caller's policies must allow every action
	// the request implies. As on AWS, the denial does not say why, so it
	// reveals nothing about roles the caller cannot assume.
	actions := []string{"sts:AssumeRole"}
	if len(in.Tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if in.SourceIdentity != "" && parentSource == "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, action := range actions {
		err := s.authz.AuthorizeWithPolicy(ctx, action, role.ARN, role.AccountID, role.TrustPolicy, keys)
		var denied *authz.Denied
		if errors.As(err, &denied) {
			return AssumedRole{}, s.denyAssume(c, in.RoleARN)
		}
		if err != nil {
			return AssumedRole{}, err
		}
	}

	sessionARN := "arn:aws:sts::" + role.AccountID + ":assumed-role/" + role.Name + "/" + in.RoleSessionName
	p := caller.Principal{
		Type:        caller.AssumedRole,
		AccountID:   role.AccountID,
		ARN:         sessionARN,
		UserID:      role.ID + ":" + in.RoleSessionName,
		Name:        role.Name,
		SessionName: in.RoleSessionName,
		RoleARN:     role.ARN,
		Tags:        tags,
		Session: &caller.Session{
			Kind:              caller.SessionAssumeRole,
			Policy:            in.Policy,
			PolicyARNs:        in.PolicyARNs,
			TransitiveTagKeys: dedupe(transitive),
			SourceIdentity:    in.SourceIdentity,
			Chained:           chained,
		},
	}
	if parentSource != "" {
		p.Session.SourceIdentity = parentSource // source identity persists along a chain
	}
	creds, err := s.issue(ctx, p, role.ID, d)
	if err != nil {
		return AssumedRole{}, err
	}
	_ = s.roles.NoteRoleUsed(ctx, role.AccountID, role.ID, c.Region)
	packed := 0
	if in.Policy != "" || len(in.PolicyARNs) > 0 || len(in.Tags) > 0 {
		packed = (len(compactPolicy(in.Policy)) + 40*len(in.PolicyARNs) + 16*len(in.Tags)) * 100 / maxSessionPolicyChars
	}
	return AssumedRole{
		Credentials:      creds,
		AssumedRoleID:    p.UserID,
		ARN:              sessionARN,
		PackedPolicySize: packed,
		SourceIdentity:   p.Session.SourceIdentity,
	}, nil
}

// stillValid re-checks a temporary key against its owner's current state.
func (s *Service) stillValid(ctx context.Context, accessKeyID string) error {
	sess, err := s.session(ctx, accessKeyID)
	if err != nil {
		return err
	}
	_, err = s.currentPrincipal(ctx, sess)
	return err
}

func (s *Service) denyAssume(c *caller.Caller, roleARN string) error {
	return errorf(ErrAccessDenied, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.Principal.ARN, roleARN)
}

func validateAssume(in AssumeRoleInput) error {
	switch {
	case in.RoleARN == "":
		return errorf(ErrValidation, "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	case !sessionNameRE.MatchString(in.RoleSessionName):
		return errorf(ErrValidation, "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*", in.RoleSessionName)
	case in.ExternalID != "" && (len(in.ExternalID) < 2 || len(in.ExternalID) > 1224 || !externalIDRE.MatchString(in.ExternalID)):
		return errorf(ErrValidation, "1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224 and satisfy regular expression pattern: [\\w+=,.@:\\/-]*")
	case in.SourceIdentity != "" && (!sourceIdentityRE.MatchString(in.SourceIdentity) || strings.HasPrefix(strings.ToLower(in.SourceIdentity), "aws:")):
		return errorf(ErrValidation, "1 validation error detected: Value at 'sourceIdentity' failed to satisfy constraint: Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*")
	case len(in.PolicyARNs) > maxPolicyARNs:
		return errorf(ErrValidation, "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10")
	case len(in.Tags) > maxSessionTags:
		return errorf(ErrValidation, "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	for k, v := range in.Tags {
		if !tagKeyRE.MatchString(k) || !tagValueRE.MatchString(v) || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return errorf(ErrValidation, "Tag key or value %q is not valid.", k)
		}
	}
	for _, k := range in.TransitiveTagKeys {
		if _, ok := in.Tags[k]; !ok {
			return errorf(ErrValidation, "The transitive tag key %s is not one of the session's tags.", k)
		}
	}
	for _, arn := range in.PolicyARNs {
		if !strings.HasPrefix(arn, "arn:aws:iam::") || !strings.Contains(arn, ":policy/") {
			return errorf(ErrValidation, "%s is not a valid policy ARN.", arn)
		}
	}
	if in.Policy != "" {
		if len(compactPolicy(in.Policy)) > maxSessionPolicyChars {
			return errorf(ErrPackedTooLarge, "Packed policy consumes more than 100%% of the allowed size.")
		}
		if _, err := policy.Parse(in.Policy, policy.Session); err != nil {
			return errorf(ErrMalformedPolicy, "%s", err.Error())
		}
	}
	return nil
}

// compactPolicy drops insignificant whitespace, as AWS counts policy size.
func compactPolicy(doc string) string {
	var b strings.Builder
	inString, escaped := false, false
	for _, r := range doc {
		switch {
		case inString:
			b.WriteRune(r)
			if escaped {
				escaped = false
			} else if r == '\\' {
				escaped = true
			} else if r == '"' {
				inString = false
			}
		case r == '"':
			inString = true
			b.WriteRune(r)
		case r == ' ' || r == '\n' || r == '\r' || r == '\t':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[strings.ToLower(s)] {
			seen[strings.ToLower(s)] = true
			out = append(out, s)
		}
	}
	return out
}
