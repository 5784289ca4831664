package s3

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/authz"
	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/iam"
	"github.com/nimbuscloud/nimbus/internal/store/sqlite"
)

// Block Public Access, Object Ownership and ACLs are decided by the real
// authorizer here (internal/authz with internal/iam/policy), so the tests
// check what a caller can actually do, not which decisions were asked.

// noIdentityPolicies is IAM for these tests: users have no policies of
// their own unless listed.
type noIdentityPolicies struct{ users map[string]string }

func (p noIdentityPolicies) EffectivePolicies(_ context.Context, _, kind, name string) (iam.Effective, error) {
	if doc, ok := p.users[name]; ok {
		return iam.Effective{Identity: []iam.PolicyDoc{{ID: name, Document: doc}}}, nil
	}
	return iam.Effective{}, nil
}
func (noIdentityPolicies) ManagedPolicy(context.Context, string, string) (iam.PolicyDoc, error) {
	return iam.PolicyDoc{}, iam.ErrNoSuchEntity
}
func (noIdentityPolicies) PrincipalTags(context.Context, string, string, string) (map[string]string, error) {
	return nil, nil
}

type accessEnv struct {
	s     *Service
	alice context.Context // root of 111111111111, which owns the buckets
	carol context.Context // IAM user of 111111111111 without policies
	bob   context.Context // root of 222222222222
	anon  context.Context
}

func newAccessEnv(t *testing.T) *accessEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	az := authz.New(noIdentityPolicies{}, authz.Options{})
	s := New(st, &fakeBlobs{objs: map[string][]byte{}}, az, Options{Region: "us-east-1"})
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	who := func(p caller.Principal) context.Context {
		return caller.With(ctx, &caller.Caller{Principal: p, Time: time.Now(), Region: "us-east-1"})
	}
	root := func(acct string) context.Context {
		return who(caller.Principal{Type: caller.Root, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":root"})
	}
	return &accessEnv{
		s:     s,
		alice: root("111111111111"),
		carol: who(caller.Principal{Type: caller.User, AccountID: "111111111111", ARN: "arn:aws:iam::111111111111:user/carol", Name: "carol", UserID: "AIDACAROL"}),
		bob:   root("222222222222"),
		anon:  who(caller.Principal{Type: caller.Anonymous}),
	}
}

// bucket creates a bucket of alice's with one object, k.
func (e *accessEnv) bucket(t *testing.T, name string, access BucketAccess) {
	t.Helper()
	if err := e.s.CreateBucketWithAccess(e.alice, name, "", access); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.PutObject(e.alice, PutInput{Bucket: name, Key: "k", Size: 1, Body: strings.NewReader("v")}); err != nil {
		t.Fatal(err)
	}
}

func (e *accessEnv) read(ctx context.Context, bucket string) error {
	o, err := e.s.GetObject(ctx, GetInput{Bucket: bucket, Key: "k"})
	if err == nil {
		o.Close()
	}
	return err
}

func (e *accessEnv) list(ctx context.Context, bucket string) error {
	_, err := e.s.ListObjects(ctx, ListInput{Bucket: bucket})
	return err
}

func publicRead(bucket string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
}

func allowed(t *testing.T, what string, err error, want bool) {
	t.Helper()
	if want && err != nil {
		t.Errorf("%s: %v, want allowed", what, err)
	}
	if !want && err == nil {
		t.Errorf("%s allowed, want denied", what)
	}
}

func TestAccessDefaults(t *testing.T) {
	e := newAccessEnv(t)
	e.bucket(t, "pics", BucketAccess{})
	p, err := e.s.GetPublicAccessBlock(e.alice, "pics")
	if err != nil || p != newBucketPublicAccess {
		t.Fatalf("new bucket's block public access: %+v %v", p, err)
	}
	if o, err := e.s.GetBucketOwnershipControls(e.alice, "pics"); err != nil || o != BucketOwnerEnforced {
		t.Fatalf("new bucket's ownership: %q %v", o, err)
	}
	owner, grants, err := e.s.GetBucketACL(e.alice, "pics")
	if err != nil || owner != "111111111111" || len(grants) != 1 || grants[0] != (Grant{ID: CanonicalID(owner), Permission: "FULL_CONTROL"}) {
		t.Fatalf("new bucket's ACL: %s %+v %v", owner, grants, err)
	}
	if _, grants, err := e.s.GetObjectACL(e.alice, "pics", ObjectID{Key: "k"}); err != nil || len(grants) != 1 {
		t.Fatalf("object ACL: %+v %v", grants, err)
	}
	_, _, err = e.s.GetObjectACL(e.alice, "pics", ObjectID{Key: "missing"})
	mustCode(t, err, ErrNoSuchKey)

	if err := e.s.PutPublicAccessBlock(e.alice, "pics", PublicAccessBlock{BlockPublicPolicy: true}); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.s.GetPublicAccessBlock(e.alice, "pics"); p != (PublicAccessBlock{BlockPublicPolicy: true}) {
		t.Fatalf("after put: %+v", p)
	}
	if err := e.s.DeletePublicAccessBlock(e.alice, "pics"); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.GetPublicAccessBlock(e.alice, "pics")
	mustCode(t, err, ErrNoSuchPublicAccessBlock)

	if err := e.s.DeleteBucketOwnershipControls(e.alice, "pics"); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.GetBucketOwnershipControls(e.alice, "pics")
	mustCode(t, err, ErrOwnershipControlsNotFound)
	mustCode(t, e.s.PutBucketOwnershipControls(e.alice, "pics", "Everyone"), ErrMalformedXML)

	_, err = e.s.GetPublicAccessBlock(e.alice, "nope")
	mustCode(t, err, ErrNoSuchBucket)
	mustCode(t, e.s.PutPublicAccessBlock(e.alice, "nope", PublicAccessBlock{}), ErrNoSuchBucket)
	mustCode(t, e.s.PutBucketOwnershipControls(e.alice, "nope", ObjectWriter), ErrNoSuchBucket)
	// Another account may not touch them.
	if _, err := e.s.GetPublicAccessBlock(e.bob, "pics"); err == nil {
		t.Fatal("bob read alice's block public access")
	}
	if err := e.s.DeletePublicAccessBlock(e.bob, "pics"); err == nil {
		t.Fatal("bob deleted alice's block public access")
	}
}

func TestBlockPublicPolicy(t *testing.T) {
	account := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bbb/*"}]}`
	for _, tc := range []struct {
		name   string
		pab    *PublicAccessBlock // nil: deleted
		policy string
		ok     bool
	}{
		{"default blocks a public policy", &newBucketPublicAccess, publicRead("bbb"), false},
		{"default takes another account's", &newBucketPublicAccess, account, true},
		{"no configuration", nil, publicRead("bbb"), true},
		{"BlockPublicPolicy off", &PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, RestrictPublicBuckets: true}, publicRead("bbb"), true},
		{"BlockPublicPolicy alone", &PublicAccessBlock{BlockPublicPolicy: true}, publicRead("bbb"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newAccessEnv(t)
			e.bucket(t, "bbb", BucketAccess{})
			var err error
			if tc.pab == nil {
				err = e.s.DeletePublicAccessBlock(e.alice, "bbb")
			} else {
				err = e.s.PutPublicAccessBlock(e.alice, "bbb", *tc.pab)
			}
			if err != nil {
				t.Fatal(err)
			}
			err = e.s.PutBucketPolicy(e.alice, "bbb", tc.policy)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			mustCode(t, err, ErrAccessDenied)
			want := `User: arn:aws:iam::111111111111:root is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::bbb" because public policies are blocked by the BlockPublicPolicy block public access setting.`
			var ce *clientError
			if !errors.As(err, &ce) || ce.msg != want {
				t.Fatalf("message %q", err)
			}
			if _, err := e.s.GetBucketPolicy(e.alice, "bbb"); !errors.Is(err, ErrNoSuchBucketPolicy) {
				t.Fatalf("a blocked policy was stored: %v", err)
			}
		})
	}
}

func TestRestrictPublicBuckets(t *testing.T) {
	for _, restrict := range []bool{false, true} {
		e := newAccessEnv(t)
		e.bucket(t, "bbb", BucketAccess{})
		if err := e.s.DeletePublicAccessBlock(e.alice, "bbb"); err != nil {
			t.Fatal(err)
		}
		if err := e.s.PutBucketPolicy(e.alice, "bbb", publicRead("bbb")); err != nil {
			t.Fatal(err)
		}
		if err := e.s.PutPublicAccessBlock(e.alice, "bbb", PublicAccessBlock{RestrictPublicBuckets: restrict}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			who     string
			ctx     context.Context
			allowed bool
		}{
			{"owner's root", e.alice, true},
			{"owner's user allowed by the public policy", e.carol, true},
			{"anonymous", e.anon, !restrict},
			{"another account", e.bob, !restrict},
		} {
			allowed(t, tc.who+" reading, restrict="+map[bool]string{true: "on", false: "off"}[restrict], e.read(tc.ctx, "bbb"), tc.allowed)
		}
		// The policy status reports the policy, whatever restricts it.
		if public, err := e.s.GetBucketPolicyStatus(e.alice, "bbb"); err != nil || !public {
			t.Fatalf("policy status: %v %v", public, err)
		}
	}

	// A policy that is not public is not restricted: another account it
	// names keeps its access.
	e := newAccessEnv(t)
	e.bucket(t, "bbb", BucketAccess{})
	named := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bbb/*"}]}`
	if err := e.s.PutBucketPolicy(e.alice, "bbb", named); err != nil {
		t.Fatal(err)
	}
	allowed(t, "named account under the default restrict", e.read(e.bob, "bbb"), true)
	allowed(t, "anonymous", e.read(e.anon, "bbb"), false)
}

func TestBucketACLs(t *testing.T) {
	e := newAccessEnv(t)
	e.bucket(t, "enforced", BucketAccess{})
	for _, tc := range []struct {
		acl  ACL
		want error
	}{
		{ACL{Canned: "private"}, ErrACLNotSupported}, // as S3: only the owner's full control
		{ACL{Canned: "public-read"}, ErrACLNotSupported},
		{ACL{Canned: "bucket-owner-full-control"}, nil},
		{ACL{HasGrants: true, Grants: []Grant{{ID: CanonicalID("111111111111"), Permission: "FULL_CONTROL"}}}, nil},
		{ACL{HasGrants: true, Grants: []Grant{{ID: CanonicalID("111111111111"), Permission: "FULL_CONTROL"}, {URI: AllUsers, Permission: "READ"}}}, ErrACLNotSupported},
		{ACL{Canned: "nonsense"}, ErrInvalidArgument},
		{ACL{HasGrants: true, Grants: []Grant{{URI: AllUsers, Permission: "LOOK"}}}, ErrMalformedACL},
		{ACL{Canned: "bucket-owner-full-control", Owner: CanonicalID("222222222222")}, ErrAccessDenied},
	} {
		err := e.s.PutBucketACL(e.alice, "enforced", tc.acl)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("PutBucketAcl %+v on BucketOwnerEnforced: %v, want %v", tc.acl, err, tc.want)
		}
	}

	// ACLs enabled, Block Public Access on (a new bucket's): public ACLs
	// are refused, others stored.
	e.bucket(t, "acls", BucketAccess{Ownership: BucketOwnerPreferred})
	mustCode(t, e.s.PutBucketACL(e.alice, "acls", ACL{Canned: "public-read"}), ErrAccessDenied)
	if err := e.s.PutBucketACL(e.alice, "acls", ACL{Canned: "log-delivery-write"}); err != nil {
		t.Fatal(err)
	}
	_, grants, _ := e.s.GetBucketACL(e.alice, "acls")
	if len(grants) != 3 || grants[1] != (Grant{URI: LogDelivery, Permission: "WRITE"}) {
		t.Fatalf("log-delivery-write grants: %+v", grants)
	}
	allowed(t, "anonymous list with log-delivery-write", e.list(e.anon, "acls"), false)

	// Without Block Public Access, public-read lets anyone list (not read
	// objects), authenticated-read every signed caller.
	if err := e.s.DeletePublicAccessBlock(e.alice, "acls"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.PutBucketACL(e.alice, "acls", ACL{Canned: "public-read"}); err != nil {
		t.Fatal(err)
	}
	allowed(t, "anonymous list with public-read", e.list(e.anon, "acls"), true)
	allowed(t, "another account's list with public-read", e.list(e.bob, "acls"), true)
	allowed(t, "anonymous read with public-read", e.read(e.anon, "acls"), false)
	mustCode(t, e.s.PutBucketOwnershipControls(e.alice, "acls", BucketOwnerEnforced), ErrBucketACLWithOwnership)

	// IgnorePublicAcls: the ACL stays, and grants nothing.
	if err := e.s.PutPublicAccessBlock(e.alice, "acls", PublicAccessBlock{IgnorePublicAcls: true}); err != nil {
		t.Fatal(err)
	}
	allowed(t, "anonymous list with public-read ignored", e.list(e.anon, "acls"), false)
	if _, grants, _ := e.s.GetBucketACL(e.alice, "acls"); len(grants) != 2 || grants[1].URI != AllUsers {
		t.Fatalf("ignored ACL: %+v", grants)
	}
	if err := e.s.DeletePublicAccessBlock(e.alice, "acls"); err != nil {
		t.Fatal(err)
	}

	// A bucket policy's Deny still binds ACL grants, also where
	// RestrictPublicBuckets drops the public policy's grants.
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acls/*"},` +
		`{"Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::acls"}]}`
	if err := e.s.PutBucketPolicy(e.alice, "acls", deny); err != nil {
		t.Fatal(err)
	}
	if err := e.s.PutPublicAccessBlock(e.alice, "acls", PublicAccessBlock{RestrictPublicBuckets: true}); err != nil {
		t.Fatal(err)
	}
	allowed(t, "anonymous list denied by the policy", e.list(e.anon, "acls"), false)
	allowed(t, "anonymous read restricted", e.read(e.anon, "acls"), false)
	if err := e.s.DeleteBucketPolicy(e.alice, "acls"); err != nil {
		t.Fatal(err)
	}
	allowed(t, "anonymous list, policy gone", e.list(e.anon, "acls"), true)

	if err := e.s.PutBucketACL(e.alice, "acls", ACL{Canned: "authenticated-read"}); err != nil {
		t.Fatal(err)
	}
	allowed(t, "anonymous list with authenticated-read", e.list(e.anon, "acls"), false)
	allowed(t, "another account's list with authenticated-read", e.list(e.bob, "acls"), true)

	mustCode(t, e.s.PutBucketACL(e.alice, "acls", ACL{Canned: "public-read-write"}), ErrNotImplementedHeader)
	mustCode(t, e.s.PutBucketACL(e.alice, "acls", ACL{HasGrants: true, Grants: []Grant{
		{ID: CanonicalID("111111111111"), Permission: "FULL_CONTROL"}, {ID: CanonicalID("222222222222"), Permission: "READ"}}}), ErrNotImplementedHeader)

	// Back to private, ACLs can be disabled, and a stored ACL no longer counts.
	if err := e.s.PutBucketACL(e.alice, "acls", ACL{Canned: "private"}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.PutBucketOwnershipControls(e.alice, "acls", BucketOwnerEnforced); err != nil {
		t.Fatal(err)
	}
	allowed(t, "another account's list after private", e.list(e.bob, "acls"), false)
}

func TestObjectACLs(t *testing.T) {
	e := newAccessEnv(t)
	e.bucket(t, "enforced", BucketAccess{})
	e.bucket(t, "blocked", BucketAccess{Ownership: ObjectWriter})
	e.bucket(t, "open", BucketAccess{Ownership: BucketOwnerPreferred})
	if err := e.s.DeletePublicAccessBlock(e.alice, "open"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		bucket, canned string
		want           error
	}{
		{"enforced", "bucket-owner-full-control", nil},
		{"enforced", "private", ErrACLNotSupported},
		{"enforced", "public-read", ErrACLNotSupported},
		{"blocked", "private", nil},
		{"blocked", "bucket-owner-read", nil},
		{"blocked", "public-read", ErrAccessDenied},
		{"blocked", "authenticated-read", ErrAccessDenied},
		{"open", "public-read", ErrNotImplementedHeader},
		{"open", "aws-exec-read", ErrNotImplementedHeader},
		{"open", "bucket-owner-full-control", nil},
		{"open", "bogus", ErrInvalidArgument},
	} {
		a := ACL{Canned: tc.canned}
		for op, err := range map[string]error{
			"upload":       e.s.CheckObjectACL(e.alice, tc.bucket, "k", a),
			"PutObjectAcl": e.s.PutObjectACL(e.alice, tc.bucket, ObjectID{Key: "k"}, a),
		} {
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("%s %s on %s: %v, want %v", op, tc.canned, tc.bucket, err, tc.want)
			}
		}
	}
	mustCode(t, e.s.CheckObjectACL(e.alice, "nope", "k", ACL{Canned: "private"}), ErrNoSuchBucket)
	mustCode(t, e.s.PutObjectACL(e.alice, "open", ObjectID{Key: "missing"}, ACL{Canned: "private"}), ErrNoSuchKey)
	if err := e.s.CheckObjectACL(e.alice, "nope", "k", ACL{}); err != nil {
		t.Fatalf("no ACL costs nothing: %v", err)
	}
}

// Objects written by another account: S3 would make it their owner unless
// ACLs are disabled, which this server does not implement.
func TestOtherAccountsWrites(t *testing.T) {
	e := newAccessEnv(t)
	for _, o := range []string{BucketOwnerEnforced, ObjectWriter} {
		name := strings.ToLower(o)
		e.bucket(t, name, BucketAccess{Ownership: o})
		grant := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + name + `/*"}]}`
		if err := e.s.PutBucketPolicy(e.alice, name, grant); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.s.PutObject(e.bob, PutInput{Bucket: "bucketownerenforced", Key: "b", Size: 1, Body: strings.NewReader("b")}); err != nil {
		t.Fatalf("bob's write under BucketOwnerEnforced: %v", err)
	}
	_, err := e.s.PutObject(e.bob, PutInput{Bucket: "objectwriter", Key: "b", Size: 1, Body: strings.NewReader("b")})
	mustCode(t, err, ErrNotImplementedHeader)
	if _, err := e.s.PutObject(e.alice, PutInput{Bucket: "objectwriter", Key: "a", Size: 1, Body: strings.NewReader("a")}); err != nil {
		t.Fatalf("the owner's write under ObjectWriter: %v", err)
	}
}

func TestCreateBucketAccess(t *testing.T) {
	e := newAccessEnv(t)
	owner := Grant{ID: CanonicalID("111111111111"), Permission: "FULL_CONTROL"}
	for _, tc := range []struct {
		name   string
		access BucketAccess
		want   error
	}{
		{"bad-ownership", BucketAccess{Ownership: "Nobody"}, ErrInvalidArgument},
		{"enforced-public", BucketAccess{ACL: ACL{Canned: "public-read"}}, ErrBucketACLWithOwnership},
		{"enforced-grant", BucketAccess{ACL: ACL{HasGrants: true, Grants: []Grant{{URI: AllUsers, Permission: "READ"}}}}, ErrBucketACLWithOwnership},
		{"writer-public", BucketAccess{Ownership: ObjectWriter, ACL: ACL{Canned: "public-read"}}, ErrBucketACLWithPublicAccessBlock},
		{"enforced-private", BucketAccess{ACL: ACL{Canned: "private"}}, nil},
		{"enforced-owner", BucketAccess{ACL: ACL{HasGrants: true, Grants: []Grant{owner}}}, nil},
		{"writer-logs", BucketAccess{Ownership: ObjectWriter, ACL: ACL{Canned: "log-delivery-write"}}, nil},
	} {
		err := e.s.CreateBucketWithAccess(e.alice, tc.name, "", tc.access)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if _, err := e.s.Bucket(e.alice, tc.name, "s3:ListBucket"); (err == nil) != (tc.want == nil) {
			t.Errorf("%s: bucket exists = %v", tc.name, err == nil)
		}
	}
	if o, _ := e.s.GetBucketOwnershipControls(e.alice, "writer-logs"); o != ObjectWriter {
		t.Fatalf("ownership %q", o)
	}
	if _, grants, _ := e.s.GetBucketACL(e.alice, "writer-logs"); len(grants) != 3 {
		t.Fatalf("grants %+v", grants)
	}
}

func TestPolicyStatements(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`
	if got := denyStatements(doc); got != "" {
		t.Errorf("denyStatements of an allow-only policy: %s", got)
	}
	mixed := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/x"}]}`
	if got := denyStatements(mixed); !strings.Contains(got, `"Deny"`) || strings.Contains(got, `"Allow"`) {
		t.Errorf("denyStatements: %s", got)
	}
	for _, d := range []string{"", doc, mixed, `{"Version":"2012-10-17","Statement":[]}`} {
		got := withStatements(d, aclStatements("b", "public-read", false))
		if err := CheckBucketPolicy(got); err != nil || !strings.Contains(got, "s3:ListBucketMultipartUploads") {
			t.Errorf("withStatements(%s) = %s: %v", d, got, err)
		}
	}
}
