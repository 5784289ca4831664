// Package policy is the AWS IAM policy language: it parses, validates,
// compiles and evaluates policy documents exactly as the IAM User Guide
// documents them ("IAM JSON policy elements reference", "Policy evaluation
// logic", "Condition operators", "Variables and tags", "Cross-account policy
// evaluation logic", "Permissions boundaries").
//
// It owns the policy grammar (Parse, Kind, *Error, returned by IAM as
// MalformedPolicyDocument) and the decision procedure (Evaluate, Decision,
// Reason and AWS's AccessDenied message tails). It does not own where
// policies live, which ones apply to a caller, or how the request context is
// gathered: callers pass all of that in as data (PolicySet, Request).
//
// It is a pure core and must never do I/O, read a clock, use randomness,
// start goroutines or log. Time enters only as aws:CurrentTime /
// aws:EpochTime context values. A *Document is immutable after Parse and safe
// for concurrent use; there is no mutable package state.
//
// # Language
//
//   - Version "2012-10-17" or "2008-10-17"; no Version means 2008-10-17, in
//     which ${...} is literal text. Top-level elements: Version, Id, Statement.
//   - Statement: an object or a non-empty array. Elements: Sid, Effect
//     ("Allow"/"Deny", exact case), Principal|NotPrincipal, Action|NotAction
//     (exactly one), Resource|NotResource (exactly one; forbidden in trust
//     policies), Condition. Unknown elements and duplicate JSON keys are
//     errors. In IAM-stored kinds (all but Resource) a Sid is alphanumeric and
//     unique within the document.
//   - Action: "*" or "service:action"; wildcards '*' and '?'; matching is
//     case-insensitive.
//   - Resource: "*" or an ARN. Each of the six colon-separated ARN
//     components is matched separately and case-sensitively; a wildcard never
//     crosses the first five colons, but in the resource component '*' spans
//     '/' and ':'. The same matcher serves the Arn* condition operators.
//   - Principal: "*", or {"AWS"|"Service"|"Federated"|"CanonicalUser": value
//     or list}. An account ID or arn:...:iam::ID:root names the account (every
//     principal in it, subject to that account's own policies). Partial
//     wildcards in principal ARNs are rejected. A role ARN covers sessions of
//     that role (Principal.RoleARN).
//   - NotPrincipal exempts a caller only if all its identities are listed:
//     a user needs its ARN and its account, a role session its session ARN,
//     role ARN and account. As AWS documents, NotPrincipal with Deny denies
//     every caller that has a permissions boundary.
//   - Policy variables (2012-10-17 only) in Resource/NotResource and in values
//     of String*, Arn* and Bool conditions: ${key} for any context key
//     (case-insensitive), ${key, 'default'}, and ${*} ${?} ${$} for literal
//     '*', '?', '$'. Substituted text is literal (never a wildcard). A variable
//     whose key is missing or multi-valued, with no default, makes that one
//     value match nothing.
//   - Conditions: operators ANDed, keys within an operator ANDed, values of
//     one key ORed. Keys are case-insensitive. A missing key makes a positive
//     operator false and a negated one (StringNotEquals, NotIpAddress,
//     ArnNotLike, ...) true; ...IfExists makes a missing key true; Null tests
//     presence. ForAllValues: every request value must match (true when the
//     key is missing or empty); ForAnyValue: some request value must match
//     (false when missing). A negated operator is the negation of its
//     positive form per request value. Typed values (numbers, dates in W3C
//     ISO 8601 or epoch seconds, booleans, base64, IPv4/IPv6 CIDRs) are
//     checked and pre-parsed by Parse.
//
// # Evaluation (Evaluate)
//
//  1. Every applicable policy is scanned: identity, resource, boundary,
//     session. Any applicable Deny is final (reason in that priority order).
//  2. The root user of the resource's account is allowed (identity,
//     boundary and session policies do not govern root), unless the
//     resource policies include a role trust policy, which must name root
//     like any other caller.
//  3. Callers without an IAM identity (anonymous, service principals,
//     federated callers before a role session) and root across accounts are
//     allowed only by a resource policy Allow.
//  4. Same account. A resource-policy Allow naming the caller itself (its
//     user or session ARN, "*", its service) is final: implicit denies in
//     identity, boundary and session policies do not limit it. Otherwise a
//     trust policy must allow at all (trust policies, like KMS key policies,
//     must explicitly allow), then an identity Allow or a resource-policy
//     Allow naming the session's role ARN is needed, and the boundary (if
//     any) and session policies (if any) must each allow. A resource policy
//     naming only the account delegates: it grants nothing by itself.
//  5. Cross account: identity ∩ boundary ∩ session must allow, and some
//     resource policy must allow (naming the account is enough).
//  6. Otherwise the request is implicitly denied with the first failing
//     step's Reason. Matched lists the deciding Deny statements, or the
//     Allow statements of the policy types that granted.
//
// # Performance
//
// Parse compiles everything evaluation needs: actions pre-split and
// lowercased, an index from service prefix to the statements that can name
// it (so a request for s3:GetObject never looks at an ec2-only statement),
// wildcard patterns as element lists (no regexp), CIDRs, dates, numbers and
// base64 pre-parsed, condition keys lowercased. Evaluation never allocates
// except for Decision.Matched and, when the context has upper-case keys, one
// normalised copy (see NormalizeContext).
package policy
