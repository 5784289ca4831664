package s3

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// Who may reach a bucket beyond its owner's account is decided by three
// settings of the bucket's row (migration 6, schema_access.go):
//
//   - Block Public Access: BlockPublicPolicy refuses public bucket
//     policies, RestrictPublicBuckets makes a public policy grant nothing
//     to callers outside the owner's account, BlockPublicAcls refuses
//     public ACLs and IgnorePublicAcls makes a stored public ACL grant
//     nothing. New buckets have all four on.
//   - Object Ownership: BucketOwnerEnforced (the default) disables ACLs;
//     BucketOwnerPreferred, ObjectWriter (or no setting) enables them.
//   - The bucket's canned ACL, when ACLs are enabled: its grants to
//     AllUsers and AuthenticatedUsers are turned into resource-policy
//     statements decided together with the bucket policy (resourcePolicy).
//
// Every object is owned by the bucket owner, whatever the setting: writes
// by other accounts, which S3 would let own their objects under
// ObjectWriter and BucketOwnerPreferred, are refused there as not
// implemented (checkWriter), and the only object ACLs accepted are those
// that amount to the owner's FULL_CONTROL, so none is stored.

// Object Ownership settings.
const (
	BucketOwnerEnforced  = "BucketOwnerEnforced"
	BucketOwnerPreferred = "BucketOwnerPreferred"
	ObjectWriter         = "ObjectWriter"
)

// ValidOwnership reports whether v is an Object Ownership setting.
func ValidOwnership(v string) bool {
	return v == BucketOwnerEnforced || v == BucketOwnerPreferred || v == ObjectWriter
}

// ACL grantee groups.
const (
	AllUsers           = "http://acs.amazonaws.com/groups/global/AllUsers"
	AuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	LogDelivery        = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// Sentinels of this file (mapped in internal/api/s3's error table).
var (
	ErrNoSuchPublicAccessBlock        = errors.New("no such public access block configuration")
	ErrOwnershipControlsNotFound      = errors.New("ownership controls not found")
	ErrACLNotSupported                = errors.New("access control list not supported")
	ErrBucketACLWithOwnership         = errors.New("bucket acl not allowed with object ownership")
	ErrBucketACLWithPublicAccessBlock = errors.New("public bucket acl not allowed with block public access")
	ErrMalformedACL                   = errors.New("malformed acl")
)

// PublicAccessBlock is a bucket's Block Public Access configuration.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"BlockPublicAcls"`
	IgnorePublicAcls      bool `json:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `json:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `json:"RestrictPublicBuckets"`
}

// newBucketPublicAccess is what CreateBucket gives every bucket.
var newBucketPublicAccess = PublicAccessBlock{true, true, true, true}

func encodePublicAccess(p PublicAccessBlock) string {
	b, _ := json.Marshal(p) // cannot fail
	return string(b)
}

// publicAccess is b's Block Public Access configuration: all off when it
// has none, all on when the stored form does not decode (fail closed).
func (b *Bucket) publicAccess() PublicAccessBlock {
	if b.publicAccessBlock == "" {
		return PublicAccessBlock{}
	}
	var p PublicAccessBlock
	if json.Unmarshal([]byte(b.publicAccessBlock), &p) != nil {
		return newBucketPublicAccess
	}
	return p
}

// aclsEnabled reports whether b's ACLs count (Object Ownership other than
// BucketOwnerEnforced, or none).
func (b *Bucket) aclsEnabled() bool { return b.ownership != BucketOwnerEnforced }

// outsider reports whether the caller is anonymous or of an account other
// than account.
func outsider(ctx context.Context, account string) bool {
	c := caller.From(ctx)
	return c == nil || c.Anonymous() || c.Principal.AccountID != account
}

// resourcePolicy is the resource policy a request on b is decided with:
// the bucket policy, of which only the Deny statements are kept for
// callers outside the owner's account when RestrictPublicBuckets is on
// and the policy is public, plus the statements of the bucket ACL's
// grants when ACLs are enabled (those to everyone dropped under
// IgnorePublicAcls). Requests without an ACL in play pay nothing here
// unless a caller outside the owner's account meets a bucket policy (one
// small JSON decode, and the policy's when RestrictPublicBuckets is on).
func (b *Bucket) resourcePolicy(ctx context.Context) string {
	doc := b.Policy
	acl := b.acl != "" && b.aclsEnabled()
	restrict := doc != "" && b.publicAccessBlock != "" && outsider(ctx, b.AccountID)
	if !acl && !restrict {
		return doc
	}
	pab := b.publicAccess()
	if restrict && pab.RestrictPublicBuckets && PolicyIsPublic(doc) {
		doc = denyStatements(doc)
	}
	if acl {
		doc = withStatements(doc, aclStatements(b.Name, b.acl, pab.IgnorePublicAcls))
	}
	return doc
}

// checkWriter refuses writes of objects (s3:PutObject) by callers outside
// the owner's account into a bucket with ACLs enabled: S3 would make the
// writer own such an object (ObjectWriter, and BucketOwnerPreferred unless
// it sends bucket-owner-full-control), which this server does not
// implement. Under BucketOwnerEnforced the bucket owner owns every object,
// as here.
func (b *Bucket) checkWriter(ctx context.Context, action string) error {
	if action != "s3:PutObject" || !b.aclsEnabled() || !outsider(ctx, b.AccountID) {
		return nil
	}
	ownership := b.ownership
	if ownership == "" {
		ownership = "none"
	}
	return wrap(ErrNotImplementedHeader, "Objects written by another account are owned by the bucket owner on this server, which the bucket's ObjectOwnership ("+
		ownership+") does not allow; writes by other accounts need BucketOwnerEnforced.")
}

// blockPublicPolicy refuses a public policy doc for b under
// BlockPublicPolicy, with S3's message.
func (b *Bucket) blockPublicPolicy(ctx context.Context, doc string) error {
	if b.publicAccessBlock == "" || !b.publicAccess().BlockPublicPolicy || !PolicyIsPublic(doc) {
		return nil
	}
	return wrap(ErrAccessDenied, denial(ctx, "s3:PutBucketPolicy", BucketARN(b.Name),
		"because public policies are blocked by the BlockPublicPolicy block public access setting."))
}

// denial is S3's sentence for a request refused by a Block Public Access
// setting.
func denial(ctx context.Context, action, resource, reason string) string {
	who := "anonymous"
	if c := caller.From(ctx); c != nil && !c.Anonymous() && c.Principal.ARN != "" {
		who = c.Principal.ARN
	}
	return "User: " + who + " is not authorized to perform: " + action + ` on resource: "` + resource + `" ` + reason
}

// denyStatements is doc with its Allow statements removed ("" when none
// is left, or doc unchanged when it does not decode: the authorizer
// rejects it anyway).
func denyStatements(doc string) string {
	var d map[string]json.RawMessage
	if json.Unmarshal([]byte(doc), &d) != nil {
		return doc
	}
	if len(d["Statement"]) == 0 {
		return ""
	}
	var stmts []json.RawMessage
	if json.Unmarshal(d["Statement"], &stmts) != nil {
		stmts = []json.RawMessage{d["Statement"]}
	}
	var keep []json.RawMessage
	for _, st := range stmts {
		var s struct{ Effect string }
		if json.Unmarshal(st, &s) == nil && s.Effect == "Allow" {
			continue
		}
		keep = append(keep, st)
	}
	if len(keep) == 0 {
		return ""
	}
	d["Statement"], _ = json.Marshal(keep)
	out, err := json.Marshal(d)
	if err != nil {
		return doc
	}
	return string(out)
}

// withStatements appends statements (JSON objects) to the policy doc, or
// makes a policy of them when doc is "".
func withStatements(doc string, extra []string) string {
	if len(extra) == 0 {
		return doc
	}
	joined := strings.Join(extra, ",")
	if doc == "" {
		return `{"Version":"2012-10-17","Statement":[` + joined + `]}`
	}
	var d map[string]json.RawMessage
	if json.Unmarshal([]byte(doc), &d) != nil {
		return doc
	}
	st := bytes.TrimSpace(d["Statement"])
	switch {
	case len(st) == 0:
		d["Statement"] = json.RawMessage("[" + joined + "]")
	case st[0] == '[':
		inner := bytes.TrimSpace(st[1 : len(st)-1])
		if len(inner) == 0 {
			d["Statement"] = json.RawMessage("[" + joined + "]")
		} else {
			d["Statement"] = json.RawMessage("[" + string(inner) + "," + joined + "]")
		}
	default:
		d["Statement"] = json.RawMessage("[" + string(st) + "," + joined + "]")
	}
	out, err := json.Marshal(d)
	if err != nil {
		return doc
	}
	return string(out)
}

// bucketRead are the actions a bucket ACL's READ grants.
const bucketRead = `["s3:ListBucket","s3:ListBucketVersions","s3:ListBucketMultipartUploads"]`

// aclStatements are the resource-policy statements of a stored bucket
// ACL's grants to groups. log-delivery-write grants a group no principal of
// this server belongs to, so it has none.
func aclStatements(bucket, canned string, ignorePublic bool) []string {
	res := `"` + BucketARN(bucket) + `"` // bucket names need no JSON escaping
	switch {
	case ignorePublic:
		return nil
	case canned == "public-read":
		return []string{`{"Effect":"Allow","Principal":"*","Action":` + bucketRead + `,"Resource":` + res + `}`}
	case canned == "authenticated-read":
		// Every signed request: anonymous callers have no aws:PrincipalAccount.
		return []string{`{"Effect":"Allow","Principal":"*","Action":` + bucketRead + `,"Resource":` + res +
			`,"Condition":{"Null":{"aws:PrincipalAccount":"false"}}}`}
	}
	return nil
}

// Grant is one ACL grant, to a canonical user (ID), a group (URI) or an
// email address (not supported here).
type Grant struct {
	ID, URI, Email string
	Permission     string // FULL_CONTROL, READ, WRITE, READ_ACP or WRITE_ACP
}

var permissions = []string{"FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"}

// ACL is the ACL a request sets: a canned ACL (x-amz-acl) or grants
// (x-amz-grant-* headers or an AccessControlPolicy document).
type ACL struct {
	Canned    string
	Grants    []Grant
	HasGrants bool   // grants were given, possibly none
	Owner     string // an AccessControlPolicy's Owner ID, "" when absent
}

// Given reports whether the request set an ACL.
func (a ACL) Given() bool { return a.Canned != "" || a.HasGrants }

// cannedACLs are S3's canned ACLs and the grants each adds to the owner's
// FULL_CONTROL. bucket-owner-read and bucket-owner-full-control add the
// bucket owner, who owns every object here (and S3 ignores them on
// buckets); aws-exec-read's grant to EC2 is not supported.
var cannedACLs = map[string][]Grant{
	"private":                   nil,
	"bucket-owner-read":         nil,
	"bucket-owner-full-control": nil,
	"aws-exec-read":             nil,
	"public-read":               {{URI: AllUsers, Permission: "READ"}},
	"public-read-write":         {{URI: AllUsers, Permission: "READ"}, {URI: AllUsers, Permission: "WRITE"}},
	"authenticated-read":        {{URI: AuthenticatedUsers, Permission: "READ"}},
	"log-delivery-write":        {{URI: LogDelivery, Permission: "WRITE"}, {URI: LogDelivery, Permission: "READ_ACP"}},
}

// aclSpec is what a requested ACL amounts to.
type aclSpec struct {
	canned    string // the canned ACL it is or equals; "" for other grants
	public    bool   // grants anything to AllUsers or AuthenticatedUsers
	ownerOnly bool   // bucket-owner-full-control, or grants of the owner's FULL_CONTROL alone
}

// resolveACL classifies a requested ACL of a resource owned by ownerID (a
// canonical user ID).
func resolveACL(a ACL, ownerID string) (aclSpec, error) {
	if a.Owner != "" && a.Owner != ownerID {
		return aclSpec{}, wrap(ErrAccessDenied, "Access Denied") // an ACL does not change the owner
	}
	if a.Canned != "" {
		extra, ok := cannedACLs[a.Canned]
		if !ok {
			return aclSpec{}, wrap(ErrInvalidArgument, "Invalid canned ACL: "+a.Canned)
		}
		return aclSpec{canned: a.Canned, public: publicGrants(extra), ownerOnly: a.Canned == "bucket-owner-full-control"}, nil
	}
	owner := false
	var extra []Grant
	for _, g := range a.Grants {
		switch {
		case !slices.Contains(permissions, g.Permission):
			return aclSpec{}, wrap(ErrMalformedACL, "The XML you provided was not well-formed or did not validate against our published schema")
		case g.ID == "" && g.URI == "" && g.Email == "":
			return aclSpec{}, wrap(ErrMalformedACL, "The XML you provided was not well-formed or did not validate against our published schema")
		case g.ID == ownerID && g.Permission == "FULL_CONTROL":
			owner = true
		default:
			extra = append(extra, Grant{ID: g.ID, URI: g.URI, Email: g.Email, Permission: g.Permission})
		}
	}
	spec := aclSpec{public: publicGrants(extra)}
	if !owner {
		return spec, nil // an ACL without the owner's FULL_CONTROL matches no canned ACL
	}
	spec.ownerOnly = len(extra) == 0
	for _, name := range []string{"private", "public-read", "public-read-write", "authenticated-read", "log-delivery-write"} {
		if sameGrants(extra, cannedACLs[name]) {
			spec.canned = name
			break
		}
	}
	return spec, nil
}

func publicGrants(gs []Grant) bool {
	for _, g := range gs {
		if g.URI == AllUsers || g.URI == AuthenticatedUsers {
			return true
		}
	}
	return false
}

// sameGrants compares grant sets (order and repeats ignored).
func sameGrants(a, b []Grant) bool {
	for _, g := range a {
		if !slices.Contains(b, g) {
			return false
		}
	}
	for _, g := range b {
		if !slices.Contains(a, g) {
			return false
		}
	}
	return true
}

func aclNotSupported() error { return wrap(ErrACLNotSupported, "The bucket does not allow ACLs") }

func publicACLBlocked(ctx context.Context, action, resource string) error {
	return wrap(ErrAccessDenied, denial(ctx, action, resource,
		"because public access control lists (ACLs) are blocked by the BlockPublicAcls block public access setting."))
}

// checkObjectACL decides an ACL that action (s3:PutObject for an upload's
// x-amz-acl, s3:PutObjectAcl) sets on an object of b. BucketOwnerEnforced
// takes bucket-owner-full-control or its grants only; with ACLs enabled,
// private, bucket-owner-read and bucket-owner-full-control are accepted
// (each is the owner's FULL_CONTROL alone, the object owner being the
// bucket owner), public ones are refused under BlockPublicAcls and
// otherwise, like any other grant, not implemented.
func checkObjectACL(ctx context.Context, b *Bucket, spec aclSpec, action, resource string) error {
	if !b.aclsEnabled() {
		if spec.ownerOnly {
			return nil
		}
		return aclNotSupported()
	}
	if spec.public && b.publicAccess().BlockPublicAcls {
		return publicACLBlocked(ctx, action, resource)
	}
	switch spec.canned {
	case "private", "bucket-owner-read", "bucket-owner-full-control":
		return nil
	case "public-read", "public-read-write", "authenticated-read":
		return wrap(ErrNotImplementedHeader, "Public object ACLs ("+spec.canned+") are not implemented by this server; grant public reads with a bucket policy.")
	}
	return wrap(ErrNotImplementedHeader, "Object ACLs other than private, bucket-owner-read and bucket-owner-full-control (or the grants they amount to) are not implemented by this server.")
}

// storedBucketACL is the acl column for a bucket ACL on a bucket with ACLs
// enabled, once Block Public Access has had its say.
func storedBucketACL(spec aclSpec) (string, error) {
	switch spec.canned {
	case "private", "bucket-owner-read", "bucket-owner-full-control":
		return "", nil
	case "public-read", "authenticated-read", "log-delivery-write":
		return spec.canned, nil
	case "public-read-write":
		return "", wrap(ErrNotImplementedHeader, "The public-read-write bucket ACL is not implemented by this server: objects written by other accounts would be owned by them.")
	}
	return "", wrap(ErrNotImplementedHeader, "Bucket ACLs other than private, public-read, authenticated-read and log-delivery-write (or the grants they amount to) are not implemented by this server.")
}

// checkBucketACL decides a PutBucketAcl on b and returns the acl column.
// BucketOwnerEnforced takes the owner's full control alone
// (bucket-owner-full-control or its grants; not private, as S3).
func checkBucketACL(ctx context.Context, b *Bucket, spec aclSpec) (string, error) {
	if !b.aclsEnabled() {
		if spec.ownerOnly {
			return "", nil
		}
		return "", aclNotSupported()
	}
	if spec.public && b.publicAccess().BlockPublicAcls {
		return "", publicACLBlocked(ctx, "s3:PutBucketAcl", BucketARN(b.Name))
	}
	return storedBucketACL(spec)
}

// BucketAccess is what a CreateBucket request sets beyond the name and
// location: the x-amz-object-ownership header ("" for BucketOwnerEnforced)
// and the ACL of its x-amz-acl or x-amz-grant-* headers.
type BucketAccess struct {
	Ownership string
	ACL       ACL
	// ObjectLock is x-amz-bucket-object-lock-enabled: the bucket is
	// created with versioning enabled and object lock on (no default
	// retention); it needs s3:PutBucketObjectLockConfiguration too.
	ObjectLock bool
}

// newBucketAccess validates a CreateBucket's access settings for a bucket
// that acct creates, authorizes the permissions they need besides
// s3:CreateBucket (s3:PutBucketOwnershipControls, s3:PutBucketAcl), and
// returns the row's object_ownership and acl columns. The new bucket has
// all of Block Public Access on, so a public ACL is refused.
func (s *Service) newBucketAccess(ctx context.Context, name, acct string, a BucketAccess) (ownership, acl string, err error) {
	ownership = BucketOwnerEnforced
	if a.Ownership != "" {
		if !ValidOwnership(a.Ownership) {
			return "", "", wrap(ErrInvalidArgument, "Invalid x-amz-object-ownership header: "+a.Ownership)
		}
		if err := s.authz.AuthorizeWithPolicy(ctx, "s3:PutBucketOwnershipControls", BucketARN(name), acct, "", nil); err != nil {
			return "", "", err
		}
		ownership = a.Ownership
	}
	if !a.ACL.Given() {
		return ownership, "", nil
	}
	if err := s.authz.AuthorizeWithPolicy(ctx, "s3:PutBucketAcl", BucketARN(name), acct, "", nil); err != nil {
		return "", "", err
	}
	spec, err := resolveACL(a.ACL, CanonicalID(acct))
	if err != nil {
		return "", "", err
	}
	if ownership == BucketOwnerEnforced {
		switch spec.canned {
		case "private", "bucket-owner-read", "bucket-owner-full-control":
			return ownership, "", nil
		}
		return "", "", wrap(ErrBucketACLWithOwnership, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
	}
	if spec.public {
		return "", "", wrap(ErrBucketACLWithPublicAccessBlock, "Bucket cannot have public ACLs set with BlockPublicAccess enabled")
	}
	acl, err = storedBucketACL(spec)
	return ownership, acl, err
}

// setBucket sets one column of b's row to what value returns for the
// current row, in a transaction that confirms the row is still b's.
func (s *Service) setBucket(ctx context.Context, b *Bucket, column string, value func(cur *Bucket) (string, error)) error {
	return s.st.Update(ctx, func(tx store.Tx) error {
		cur, err := sameBucket(ctx, tx, b)
		if err != nil {
			return err
		}
		v, err := value(cur)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE s3_buckets SET `+column+` = ? WHERE name = ?`, v, b.Name)
		return err
	})
}

func constant(v string) func(*Bucket) (string, error) {
	return func(*Bucket) (string, error) { return v, nil }
}

// GetPublicAccessBlock returns a bucket's Block Public Access
// configuration (NoSuchPublicAccessBlockConfiguration when it has none).
func (s *Service) GetPublicAccessBlock(ctx context.Context, bucket string) (PublicAccessBlock, error) {
	b, err := s.Bucket(ctx, bucket, "s3:GetBucketPublicAccessBlock")
	if err != nil {
		return PublicAccessBlock{}, err
	}
	if b.publicAccessBlock == "" {
		return PublicAccessBlock{}, wrap(ErrNoSuchPublicAccessBlock, "The public access block configuration was not found")
	}
	return b.publicAccess(), nil
}

// PutPublicAccessBlock replaces a bucket's Block Public Access
// configuration. It affects requests from the next one on.
func (s *Service) PutPublicAccessBlock(ctx context.Context, bucket string, p PublicAccessBlock) error {
	b, err := s.Bucket(ctx, bucket, "s3:PutBucketPublicAccessBlock")
	if err != nil {
		return err
	}
	return s.setBucket(ctx, b, "public_access_block", constant(encodePublicAccess(p)))
}

// DeletePublicAccessBlock removes a bucket's Block Public Access
// configuration (authorized as s3:PutBucketPublicAccessBlock, as S3).
func (s *Service) DeletePublicAccessBlock(ctx context.Context, bucket string) error {
	b, err := s.Bucket(ctx, bucket, "s3:PutBucketPublicAccessBlock")
	if err != nil {
		return err
	}
	return s.setBucket(ctx, b, "public_access_block", constant(""))
}

// GetBucketOwnershipControls returns a bucket's Object Ownership
// (OwnershipControlsNotFoundError when it has none).
func (s *Service) GetBucketOwnershipControls(ctx context.Context, bucket string) (string, error) {
	b, err := s.Bucket(ctx, bucket, "s3:GetBucketOwnershipControls")
	if err != nil {
		return "", err
	}
	if b.ownership == "" {
		return "", wrap(ErrOwnershipControlsNotFound, "The bucket ownership controls were not found")
	}
	return b.ownership, nil
}

// PutBucketOwnershipControls sets a bucket's Object Ownership (an unknown
// value is MalformedXML, as S3's schema check). BucketOwnerEnforced needs
// the bucket's ACL to be private (InvalidBucketAclWithObjectOwnership).
func (s *Service) PutBucketOwnershipControls(ctx context.Context, bucket, ownership string) error {
	if !ValidOwnership(ownership) {
		return wrap(ErrMalformedXML, "invalid ObjectOwnership "+ownership)
	}
	b, err := s.Bucket(ctx, bucket, "s3:PutBucketOwnershipControls")
	if err != nil {
		return err
	}
	return s.setBucket(ctx, b, "object_ownership", func(cur *Bucket) (string, error) {
		if ownership == BucketOwnerEnforced && cur.acl != "" {
			return "", wrap(ErrBucketACLWithOwnership, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
		}
		return ownership, nil
	})
}

// DeleteBucketOwnershipControls removes a bucket's Object Ownership, which
// enables ACLs as ObjectWriter does (authorized as
// s3:PutBucketOwnershipControls, as S3).
func (s *Service) DeleteBucketOwnershipControls(ctx context.Context, bucket string) error {
	b, err := s.Bucket(ctx, bucket, "s3:PutBucketOwnershipControls")
	if err != nil {
		return err
	}
	return s.setBucket(ctx, b, "object_ownership", constant(""))
}

// aclGrants are the grants of a resource owned by account with a canned
// ACL: the owner's FULL_CONTROL, then the canned ACL's.
func aclGrants(account, canned string) []Grant {
	return append([]Grant{{ID: CanonicalID(account), Permission: "FULL_CONTROL"}}, cannedACLs[canned]...)
}

// GetBucketACL returns a bucket's owner account and ACL grants (the
// owner's FULL_CONTROL alone while ACLs are disabled).
func (s *Service) GetBucketACL(ctx context.Context, bucket string) (string, []Grant, error) {
	b, err := s.Bucket(ctx, bucket, "s3:GetBucketAcl")
	if err != nil {
		return "", nil, err
	}
	canned := b.acl
	if !b.aclsEnabled() {
		canned = ""
	}
	return b.AccountID, aclGrants(b.AccountID, canned), nil
}

// PutBucketACL sets a bucket's ACL (see checkBucketACL).
func (s *Service) PutBucketACL(ctx context.Context, bucket string, a ACL) error {
	b, err := s.Bucket(ctx, bucket, "s3:PutBucketAcl")
	if err != nil {
		return err
	}
	spec, err := resolveACL(a, CanonicalID(b.AccountID))
	if err != nil {
		return err
	}
	return s.setBucket(ctx, b, "acl", func(cur *Bucket) (string, error) { return checkBucketACL(ctx, cur, spec) })
}

// GetObjectACL returns an object's owner account (the bucket owner's) and
// ACL grants (its FULL_CONTROL: no other object ACL is accepted). A missing
// key is NoSuchKey.
func (s *Service) GetObjectACL(ctx context.Context, bucket string, id ObjectID) (string, []Grant, error) {
	b, _, err := s.objectForTagging(ctx, bucket, id, "s3:GetObjectAcl", nil)
	if err != nil {
		return "", nil, err
	}
	return b.AccountID, aclGrants(b.AccountID, ""), nil
}

// PutObjectACL decides an object's new ACL (see checkObjectACL). Nothing
// is stored: every ACL accepted is the owner's FULL_CONTROL.
func (s *Service) PutObjectACL(ctx context.Context, bucket string, id ObjectID, a ACL) error {
	b, _, err := s.objectForTagging(ctx, bucket, id, "s3:PutObjectAcl", nil)
	if err != nil {
		return err
	}
	spec, err := resolveACL(a, CanonicalID(b.AccountID))
	if err != nil {
		return err
	}
	return checkObjectACL(ctx, b, spec, versionAction("s3:PutObjectAcl", id.VersionID), ObjectARN(bucket, id.Key))
}

// CheckObjectACL decides the ACL an upload (PutObject, CopyObject,
// CreateMultipartUpload) asks for on bucket/key, before the upload runs
// and is authorized.
func (s *Service) CheckObjectACL(ctx context.Context, bucket, key string, a ACL) error {
	if !a.Given() {
		return nil
	}
	if err := CheckBucketName(bucket); err != nil {
		return err
	}
	b, err := s.loadBucket(ctx, bucket)
	if err != nil {
		return err
	}
	spec, err := resolveACL(a, CanonicalID(b.AccountID))
	if err != nil {
		return err
	}
	return checkObjectACL(ctx, b, spec, "s3:PutObject", ObjectARN(bucket, key))
}
