package s3

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/caller"
)

const denyGet = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pics/*"}]}`

func (a *fakeAuthz) lastPolicy() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.policies[len(a.policies)-1]
}

func TestBucketPolicyPutGetDelete(t *testing.T) {
	e := newEnv(t)
	if err := e.s.CreateBucket(e.alice, "pics", ""); err != nil {
		t.Fatal(err)
	}
	_, err := e.s.GetBucketPolicy(e.alice, "pics")
	mustCode(t, err, ErrNoSuchBucketPolicy)
	if err := e.s.DeleteBucketPolicy(e.alice, "pics"); err != nil {
		t.Fatalf("deleting no policy: %v", err)
	}
	if err := e.s.PutBucketPolicy(e.alice, "pics", denyGet); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.GetBucketPolicy(e.alice, "pics")
	if err != nil || got != denyGet {
		t.Fatalf("get = %q, %v", got, err)
	}

	// Every operation on the bucket and its objects is decided with it.
	if _, err := e.put(t, e.alice, "pics", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if d := e.az.last(); d != (decision{"s3:PutObject", "arn:aws:s3:::pics/k", "111111111111"}) || e.az.lastPolicy() != denyGet {
		t.Fatalf("decision %+v with policy %q", d, e.az.lastPolicy())
	}
	if _, err := e.s.ListObjects(e.alice, ListInput{Bucket: "pics"}); err != nil {
		t.Fatal(err)
	}
	if e.az.lastPolicy() != denyGet {
		t.Fatalf("ListObjects decided without the policy")
	}

	if err := e.s.DeleteBucketPolicy(e.alice, "pics"); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.GetBucketPolicy(e.alice, "pics")
	mustCode(t, err, ErrNoSuchBucketPolicy)
	if _, _, err := e.get(t, e.alice, GetInput{Bucket: "pics", Key: "k"}); err != nil || e.az.lastPolicy() != "" {
		t.Fatalf("get after delete: %v, policy %q", err, e.az.lastPolicy())
	}
	_, err = e.s.GetBucketPolicy(e.alice, "nope")
	mustCode(t, err, ErrNoSuchBucket)
	mustCode(t, e.s.PutBucketPolicy(e.alice, "nope", denyGet), ErrNoSuchBucket)
}

func TestBucketPolicyValidation(t *testing.T) {
	e := newEnv(t)
	if err := e.s.CreateBucket(e.alice, "pics", ""); err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{
		"empty":        "",
		"not json":     "{nope",
		"no principal": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::pics/*"}]}`,
		"bad effect":   `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pics/*"}]}`,
		"too large":    `{"Version":"2012-10-17","Id":"` + strings.Repeat("x", MaxBucketPolicy) + `","Statement":[]}`,
	} {
		t.Run(name, func(t *testing.T) {
			err := e.s.PutBucketPolicy(e.alice, "pics", doc)
			mustCode(t, err, ErrMalformedPolicy)
			var ce *clientError
			if !errors.As(err, &ce) || ce.msg == "" {
				t.Fatalf("no message: %v", err)
			}
			_, err = e.s.GetBucketPolicy(e.alice, "pics")
			mustCode(t, err, ErrNoSuchBucketPolicy)
		})
	}
}

func TestBucketPolicyAccess(t *testing.T) {
	e := newEnv(t)
	if err := e.s.CreateBucket(e.alice, "pics", ""); err != nil {
		t.Fatal(err)
	}
	// Another account: denied by the authorizer, and when allowed (by a
	// bucket policy) still MethodNotAllowed.
	if err := e.s.PutBucketPolicy(e.bob, "pics", denyGet); err == nil || errors.Is(err, ErrMethodNotAllowed) {
		t.Fatalf("bob put: %v, want the authorizer's denial", err)
	}
	e.az.mu.Lock()
	e.az.crossAccount = true
	e.az.mu.Unlock()
	mustCode(t, e.s.PutBucketPolicy(e.bob, "pics", denyGet), ErrMethodNotAllowed)
	_, err := e.s.GetBucketPolicy(e.bob, "pics")
	mustCode(t, err, ErrMethodNotAllowed)
	mustCode(t, e.s.DeleteBucketPolicy(e.bob, "pics"), ErrMethodNotAllowed)
	if err := e.s.PutBucketPolicy(context.Background(), "pics", denyGet); err == nil {
		t.Fatal("anonymous put allowed")
	}

	// The owner's root is never asked about: a policy denying it cannot
	// lock it out of its own policy.
	n := len(e.az.log)
	if err := e.s.PutBucketPolicy(e.alice, "pics", denyGet); err != nil {
		t.Fatal(err)
	}
	if len(e.az.log) != n {
		t.Fatalf("root's PutBucketPolicy went to the authorizer: %+v", e.az.last())
	}
	// An IAM user of the owner's account is decided by the authorizer,
	// with the bucket's policy.
	user := caller.With(context.Background(), &caller.Caller{Principal: caller.Principal{Type: caller.User,
		AccountID: "111111111111", ARN: "arn:aws:iam::111111111111:user/carol", Name: "carol"}})
	if _, err := e.s.GetBucketPolicy(user, "pics"); err != nil {
		t.Fatal(err)
	}
	if d := e.az.last(); d != (decision{"s3:GetBucketPolicy", "arn:aws:s3:::pics", "111111111111"}) || e.az.lastPolicy() != denyGet {
		t.Fatalf("decision %+v with policy %q", d, e.az.lastPolicy())
	}
}

func TestPolicyIsPublic(t *testing.T) {
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	for doc, want := range map[string]bool{
		stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`):                                                         true,
		stmt(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`):                                                 true,
		stmt(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","*"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`):              true,
		stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`):     true,
		stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`): false,
		stmt(`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`):                                                          false,
		stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`):                            false,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`:                                                 true,
	} {
		if got := PolicyIsPublic(doc); got != want {
			t.Errorf("PolicyIsPublic(%s) = %v, want %v", doc, got, want)
		}
	}
}
