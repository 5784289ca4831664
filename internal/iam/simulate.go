package iam

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/iam/awsmanaged"
	"github.com/nimbuscloud/nimbus/internal/iam/policy"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// PolicyDoc is one policy document that applies to a principal. ID is the
// managed policy's ARN, or "<kind>/<entity>/<policy>" for an inline policy
// ("user/alice/AllowS3", "group/devs/ReadOnly", "role/app/Logs").
type PolicyDoc struct {
	ID       string
	Document string
}

// Effective is everything IAM stores that limits a principal: its
// identity-based policies (for a user: its own inline and attached
// policies, then each group's) and its permissions boundary.
type Effective struct {
	Identity []PolicyDoc
	Boundary *PolicyDoc // nil when the principal has none
}

// polDenyAll stands in for a permissions boundary whose policy no longer
// exists, so a dangling boundary fails closed.
const polDenyAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`

// EffectivePolicies returns the default-version documents of every policy
// that applies to the user, group or role (principalKind is KindUser,
// KindGroup or KindRole) in one read transaction. It does no authorization:
// it is for the authorizer and the simulator. A missing principal is
// NoSuchEntity.
func (s *Service) EffectivePolicies(ctx context.Context, accountID, principalKind, name string) (Effective, error) {
	var out Effective
	err := s.st.View(ctx, func(tx store.Tx) error {
		out = Effective{}
		var err error
		out, err = polEffectiveTx(ctx, tx, accountID, principalKind, name)
		return err
	})
	return out, err
}

func polEffectiveTx(ctx context.Context, tx store.Tx, acct, kind, name string) (Effective, error) {
	var out Effective
	key := nameKey(name)
	table := kindOf(kind).table
	var stored, boundary string
	col := "boundary_arn"
	if kind == KindGroup {
		col = "''"
	} else if kind != KindUser && kind != KindRole {
		return out, errorf(ErrInvalidInput, "principal kind %q has no identity policies", kind)
	}
	err := tx.QueryRow(ctx, `SELECT name, `+col+` FROM `+table+` WHERE account_id = ? AND name_key = ?`, acct, key).Scan(&stored, &boundary)
	if errors.Is(err, store.ErrNotFound) {
		return out, noSuchEntity(kind, name)
	}
	if err != nil {
		return out, err
	}
	// Display names of the entities whose policies apply, by (kind, key).
	names := map[string]string{kind + "/" + key: stored}
	order := []string{kind + "/" + key}
	where := `(kind = ? AND entity_key = ?)`
	args := []any{acct, kind, key}
	if kind == KindUser {
		rows, err := tx.Query(ctx, `SELECT g.name_key, g.name FROM iam_group_members m JOIN iam_groups g ON g.account_id = m.account_id AND g.name_key = m.group_key
			WHERE m.account_id = ? AND m.user_key = ? ORDER BY g.name_key`, acct, key)
		if err != nil {
			return out, err
		}
		for rows.Next() {
			var gk, gn string
			if err := rows.Scan(&gk, &gn); err != nil {
				rows.Close()
				return out, err
			}
			names[KindGroup+"/"+gk] = gn
			order = append(order, KindGroup+"/"+gk)
		}
		if err := rows.Close(); err != nil {
			return out, err
		}
		where = `((kind = ? AND entity_key = ?) OR (kind = ? AND entity_key IN (SELECT group_key FROM iam_group_members WHERE account_id = ? AND user_key = ?)))`
		args = append(args, KindGroup, acct, key)
	}
	inline := map[string][]PolicyDoc{}
	rows, err := tx.Query(ctx, `SELECT kind, entity_key, name, document FROM iam_inline_policies WHERE account_id = ? AND `+where+` ORDER BY name_key`, args...)
	if err != nil {
		return out, err
	}
	for rows.Next() {
		var k, ek, pn, doc string
		if err := rows.Scan(&k, &ek, &pn, &doc); err != nil {
			rows.Close()
			return out, err
		}
		inline[k+"/"+ek] = append(inline[k+"/"+ek], PolicyDoc{ID: k + "/" + names[k+"/"+ek] + "/" + pn, Document: doc})
	}
	if err := rows.Close(); err != nil {
		return out, err
	}
	attached := map[string][]PolicyDoc{}
	rows, err = tx.Query(ctx, `SELECT a.kind, a.entity_key, a.policy_arn, COALESCE(v.document, '')
		FROM iam_attachments a
		LEFT JOIN iam_policies p ON p.account_id = a.account_id AND p.arn = a.policy_arn
		LEFT JOIN iam_policy_versions v ON v.account_id = p.account_id AND v.policy_arn = p.arn AND v.version_id = p.default_version
		WHERE a.account_id = ? AND `+strings.ReplaceAll(where, "kind", "a.kind")+` ORDER BY a.policy_arn`,
		args...)
	if err != nil {
		return out, err
	}
	for rows.Next() {
		var k, ek, arn, doc string
		if err := rows.Scan(&k, &ek, &arn, &doc); err != nil {
			rows.Close()
			return out, err
		}
		if a, ok := awsmanaged.Lookup(arn); ok {
			doc = a.Document
		}
		if doc != "" {
			attached[k+"/"+ek] = append(attached[k+"/"+ek], PolicyDoc{ID: arn, Document: doc})
		}
	}
	if err := rows.Close(); err != nil {
		return out, err
	}
	seen := map[string]bool{}
	for _, ent := range order {
		out.Identity = append(out.Identity, inline[ent]...)
		for _, d := range attached[ent] {
			if !seen[d.ID] { // one policy attached to the user and a group counts once
				seen[d.ID] = true
				out.Identity = append(out.Identity, d)
			}
		}
	}
	if boundary != "" {
		doc, err := polDefaultDocument(ctx, tx, acct, boundary)
		if err != nil {
			return out, err
		}
		if doc == "" {
			doc = polDenyAll
		}
		out.Boundary = &PolicyDoc{ID: boundary, Document: doc}
	}
	return out, nil
}

// polDefaultDocument returns the default version's document of a managed
// policy, or "" when it does not exist.
func polDefaultDocument(ctx context.Context, tx store.Tx, acct, arn string) (string, error) {
	if awsmanaged.IsAWSManaged(arn) {
		a, _ := awsmanaged.Lookup(arn)
		return a.Document, nil
	}
	var doc string
	err := tx.QueryRow(ctx, `SELECT v.document FROM iam_policies p JOIN iam_policy_versions v
		ON v.account_id = p.account_id AND v.policy_arn = p.arn AND v.version_id = p.default_version
		WHERE p.account_id = ? AND p.arn = ?`, acct, arn).Scan(&doc)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return doc, err
}

// ContextEntry is one condition key given to the simulator.
type ContextEntry struct {
	Key    string
	Values []string
	Type   string // string, stringList, numeric, ..., informational only
}

// SimulateInput is the input of SimulatePrincipalPolicy and
// SimulateCustomPolicy.
type SimulateInput struct {
	PolicySourceARN    string   // SimulatePrincipalPolicy only
	PolicyInputList    []string // extra identity policies
	BoundaryInputList  []string // at most one permissions boundary
	ActionNames        []string
	ResourceARNs       []string // default "*"
	ResourcePolicy     string
	ResourceOwner      string // account ID or ARN of the resource owner
	CallerARN          string
	ContextEntries     []ContextEntry
	ResourceHandlingOp string // accepted and ignored
	Page               PageInput
}

// MatchedStatement names a statement that decided a simulation result.
type MatchedStatement struct {
	SourcePolicyID   string
	SourcePolicyType string // user, group, role, aws-managed, user-managed, resource, none
}

// EvaluationResult is the decision for one action on one resource.
type EvaluationResult struct {
	Action               string
	Resource             string
	Decision             string // allowed, explicitDeny, implicitDeny
	Matched              []MatchedStatement
	MissingContextValues []string
	BoundaryAllowed      *bool // set when a permissions boundary applied
}

// polSource is how a policy is reported in MatchedStatements.
type polSource struct{ id, typ string }

// polSimSet is a compiled policy set with the report names of its policies.
type polSimSet struct {
	set     policy.PolicySet
	sources map[string]polSource
}

func (ps *polSimSet) add(into *[]*policy.Named, id string, src polSource, doc string, kind policy.Kind) error {
	d, err := policy.Parse(doc, kind)
	if err != nil {
		return errorf(ErrInvalidInput, "%s: %v", src.id, err)
	}
	*into = append(*into, &policy.Named{ID: id, Doc: d})
	ps.sources[id] = src
	return nil
}

// SimulatePrincipalPolicy evaluates the policies of a user, group or role
// of the caller's account (plus the extra inputs) for each action and
// resource, with the same evaluator the authorizer uses.
//
// The entity is found by the name in PolicySourceArn and must have the
// ARN given (path included; names compare case-insensitively, as IAM
// names do), else NoSuchEntity; iam:SimulatePrincipalPolicy is authorized
// on its stored ARN, so a caller allowed on user/sandbox/* cannot simulate
// user/admins/root by naming it user/sandbox/root. A missing or
// mismatching entity is authorized on the given ARN before NoSuchEntity is
// reported, so callers not allowed there learn nothing about it.
func (s *Service) SimulatePrincipalPolicy(ctx context.Context, in SimulateInput) (Listing[EvaluationResult], error) {
	if err := polCheckGrid(in); err != nil {
		return Listing[EvaluationResult]{}, err
	}
	_, acct, err := callerAccount(ctx)
	if err != nil {
		return Listing[EvaluationResult]{}, err
	}
	kind, path, name, ok := polParseEntityARN(in.PolicySourceARN)
	if !ok || polARNAccount(in.PolicySourceARN) != acct {
		if _, err := s.authorize(ctx, "iam:SimulatePrincipalPolicy", in.PolicySourceARN, nil); err != nil {
			return Listing[EvaluationResult]{}, err
		}
		return Listing[EvaluationResult]{}, errorf(ErrInvalidInput, "Invalid Entity Arn: %s does not clearly define entity type and name.", in.PolicySourceARN)
	}
	// matches reports whether the stored entity is the one the ARN names.
	matches := func(t polTarget) bool { return t.Path == path && nameKey(t.Name) == nameKey(name) }
	var stored polTarget
	err = s.st.View(ctx, func(tx store.Tx) error {
		var err error
		stored, err = polTargetTx(ctx, tx, acct, kind, name)
		return err
	})
	if err != nil && !errors.Is(err, ErrNoSuchEntity) {
		return Listing[EvaluationResult]{}, err
	}
	if err != nil || !matches(stored) {
		if _, err := s.authorize(ctx, "iam:SimulatePrincipalPolicy", in.PolicySourceARN, nil); err != nil {
			return Listing[EvaluationResult]{}, err
		}
		return Listing[EvaluationResult]{}, noSuchEntity(kind, name)
	}
	if _, err := s.authorize(ctx, "iam:SimulatePrincipalPolicy", stored.ARN, nil); err != nil {
		return Listing[EvaluationResult]{}, err
	}
	var eff Effective
	err = s.st.View(ctx, func(tx store.Tx) error {
		// The entity evaluated is the one authorized: not one renamed or
		// re-created meanwhile.
		t, err := polTargetTx(ctx, tx, acct, kind, name)
		if err != nil {
			return err
		}
		if t.ID != stored.ID || t.ARN != stored.ARN {
			return noSuchEntity(kind, name)
		}
		eff, err = polEffectiveTx(ctx, tx, acct, kind, name)
		return err
	})
	if err != nil {
		return Listing[EvaluationResult]{}, err
	}
	principal := policy.Principal{ARN: stored.ARN, Account: acct}
	if kind == KindRole {
		principal.RoleARN = principal.ARN
	}
	ps := &polSimSet{sources: map[string]polSource{}}
	for _, d := range eff.Identity {
		if err := ps.add(&ps.set.Identity, d.ID, polSourceOf(d.ID), d.Document, policy.Identity); err != nil {
			return Listing[EvaluationResult]{}, err
		}
	}
	if eff.Boundary != nil && len(in.BoundaryInputList) == 0 {
		var b []*policy.Named
		if err := ps.add(&b, eff.Boundary.ID, polSourceOf(eff.Boundary.ID), eff.Boundary.Document, policy.Boundary); err != nil {
			return Listing[EvaluationResult]{}, err
		}
		ps.set.Boundary = b[0]
	}
	return polSimulate(ps, principal, acct, in)
}

// SimulateCustomPolicy evaluates the given policies for each action and
// resource, with the same evaluator the authorizer uses.
func (s *Service) SimulateCustomPolicy(ctx context.Context, in SimulateInput) (Listing[EvaluationResult], error) {
	if err := polCheckGrid(in); err != nil {
		return Listing[EvaluationResult]{}, err
	}
	acct, err := s.authorize(ctx, "iam:SimulateCustomPolicy", "*", nil)
	if err != nil {
		return Listing[EvaluationResult]{}, err
	}
	if len(in.PolicyInputList) == 0 {
		return Listing[EvaluationResult]{}, errorf(ErrValidation, "1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null")
	}
	principal := policy.Principal{ARN: in.CallerARN, Account: acct}
	if principal.ARN == "" {
		principal.ARN = "arn:aws:iam::" + acct + ":user/SimulatedUser"
	}
	return polSimulate(&polSimSet{sources: map[string]polSource{}}, principal, acct, in)
}

// polSimulate adds the request's own policies to ps and evaluates every
// action x resource pair.
func polSimulate(ps *polSimSet, principal policy.Principal, acct string, in SimulateInput) (Listing[EvaluationResult], error) {
	if len(in.ActionNames) == 0 {
		return Listing[EvaluationResult]{}, errorf(ErrValidation, "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
	}
	if len(in.BoundaryInputList) > 1 {
		return Listing[EvaluationResult]{}, errorf(ErrInvalidInput, "Only one permissions boundary policy can be provided.")
	}
	for i, doc := range in.PolicyInputList {
		id := fmt.Sprintf("PolicyInputList.%d", i+1)
		if err := ps.add(&ps.set.Identity, id, polSource{id, "none"}, doc, policy.Identity); err != nil {
			return Listing[EvaluationResult]{}, err
		}
	}
	if len(in.BoundaryInputList) == 1 {
		var b []*policy.Named
		id := "PermissionsBoundaryPolicyInputList.1"
		if err := ps.add(&b, id, polSource{id, "none"}, in.BoundaryInputList[0], policy.Boundary); err != nil {
			return Listing[EvaluationResult]{}, err
		}
		ps.set.Boundary = b[0]
	}
	if in.ResourcePolicy != "" {
		if in.CallerARN != "" {
			principal.ARN = in.CallerARN
		}
		if err := ps.add(&ps.set.Resource, "ResourcePolicy", polSource{"ResourcePolicy", "resource"}, in.ResourcePolicy, policy.Resource); err != nil {
			return Listing[EvaluationResult]{}, err
		}
	}
	owner := in.ResourceOwner
	if a := polARNAccount(owner); a != "" {
		owner = a
	}
	ctxKeys := map[string][]string{}
	for _, c := range in.ContextEntries {
		if c.Key != "" {
			ctxKeys[c.Key] = append(ctxKeys[c.Key], c.Values...)
		}
	}
	resources := in.ResourceARNs
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	// Evaluate only the requested page of the action x resource grid; the
	// marker is the index of the last result returned.
	start, limit, err := polGridPage(in.Page, len(in.ActionNames)*len(resources))
	if err != nil {
		return Listing[EvaluationResult]{}, err
	}
	total := len(in.ActionNames) * len(resources)
	end := min(start+limit, total)
	out := Listing[EvaluationResult]{Items: make([]EvaluationResult, 0, max(end-start, 0))}
	for i := start; i < end; i++ {
		action, res := in.ActionNames[i/len(resources)], resources[i%len(resources)]
		req := policy.Request{Principal: principal, Action: action, Resource: res, ResourceAccount: owner, Context: ctxKeys}
		out.Items = append(out.Items, ps.evaluate(req))
	}
	if end < total {
		out.IsTruncated, out.Marker = true, encodeMarker(fmt.Sprintf("%08d", end-1))
	}
	return out, nil
}

// maxSimulatePairs caps the action x resource pairs one Simulate* request
// may ask for (len(ActionNames) x max(1, len(ResourceArns))). AWS bounds
// the lists themselves; nimbus bounds the product, the work a request
// causes, and refuses more with ValidationError.
const maxSimulatePairs = 1000

// polCheckGrid refuses a simulation of more than maxSimulatePairs pairs.
func polCheckGrid(in SimulateInput) error {
	a, r := len(in.ActionNames), max(len(in.ResourceARNs), 1)
	if a > maxSimulatePairs || r > maxSimulatePairs || a*r > maxSimulatePairs {
		return errorf(ErrValidation, "Cannot simulate %d actions on %d resources: at most %d action and resource pairs per request.", a, r, maxSimulatePairs)
	}
	return nil
}

// polGridPage opens a Simulate* page: the index of the first result and
// the page size. Markers hold the index of the last result returned (the
// format pageOf uses for keys "%08d").
func polGridPage(page PageInput, total int) (start, limit int, err error) {
	after, limit, err := page.decode()
	if err != nil || page.Marker == "" {
		return 0, limit, err
	}
	last, convErr := strconv.Atoi(after)
	if convErr != nil || last < 0 || last >= total {
		return 0, 0, errorf(ErrInvalidInput, "Invalid Marker.")
	}
	return last + 1, limit, nil
}

// evaluate decides one request and reports it as the simulator does.
func (ps *polSimSet) evaluate(req policy.Request) EvaluationResult {
	d := policy.Evaluate(ps.set, req)
	r := EvaluationResult{Action: req.Action, Resource: req.Resource, Decision: "implicitDeny"}
	switch {
	case d.Allowed:
		r.Decision = "allowed"
	case d.Reason == policy.ExplicitDenyIdentity || d.Reason == policy.ExplicitDenyResource ||
		d.Reason == policy.ExplicitDenyBoundary || d.Reason == policy.ExplicitDenySession:
		r.Decision = "explicitDeny"
	}
	seen := map[polSource]bool{}
	for _, m := range d.Matched {
		src, ok := ps.sources[m.PolicyID]
		if !ok {
			src = polSource{m.PolicyID, "none"}
		}
		if !seen[src] {
			seen[src] = true
			r.Matched = append(r.Matched, MatchedStatement{SourcePolicyID: src.id, SourcePolicyType: src.typ})
		}
	}
	if ps.set.Boundary != nil {
		bd := policy.Evaluate(policy.PolicySet{Identity: []*policy.Named{ps.set.Boundary}}, req)
		allowed := bd.Allowed
		r.BoundaryAllowed = &allowed
	}
	sort.SliceStable(r.Matched, func(i, j int) bool { return r.Matched[i].SourcePolicyID < r.Matched[j].SourcePolicyID })
	return r
}

// polSourceOf reports a PolicyDoc ID the way the simulator names sources:
// inline policies by name with their entity kind, managed policies by name
// as aws-managed or user-managed.
func polSourceOf(id string) polSource {
	if strings.HasPrefix(id, "arn:") {
		typ := "user-managed"
		if awsmanaged.IsAWSManaged(id) {
			typ = "aws-managed"
		}
		return polSource{polAttachedName(id), typ}
	}
	kind, rest, _ := strings.Cut(id, "/")
	_, name, _ := strings.Cut(rest, "/")
	return polSource{name, kind}
}

// polParseEntityARN splits a user, group or role ARN.
func polParseEntityARN(arn string) (kind, path, name string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return "", "", "", false
	}
	_, res, ok := strings.Cut(rest, ":")
	if !ok {
		return "", "", "", false
	}
	typ, res, ok := strings.Cut(res, "/")
	if !ok || (typ != KindUser && typ != KindGroup && typ != KindRole) {
		return "", "", "", false
	}
	i := strings.LastIndexByte(res, '/')
	path, name = "/"+res[:i+1], res[i+1:]
	if name == "" {
		return "", "", "", false
	}
	return typ, path, name, true
}

// polARNAccount is the account field of an ARN ("" if s is not one).
func polARNAccount(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
