package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	apis3 "github.com/nimbuscloud/nimbus/internal/api/s3"
	"github.com/nimbuscloud/nimbus/internal/api/sigv4"
	"github.com/nimbuscloud/nimbus/internal/caller"
)

// uses records GetAccessKeyLastUsed updates.
type uses []string

func (u *uses) Record(id, service, region string, _ time.Time) {
	*u = append(*u, id+" "+service+" "+region)
}

// signPolicy signs a POST policy with the scope's key, spelled out.
func signPolicy(secret, day, region, policy string) string {
	mac := func(key []byte, s string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	k := mac(mac(mac(mac([]byte("AWS4"+secret), day), region), "s3"), "aws4_request")
	return hex.EncodeToString(mac(k, policy))
}

func TestAuthenticatePost(t *testing.T) {
	const (
		tempKey = "ASIAIOSFODNN7EXAMPLE"
		oldKey  = "ASIAOLDSESSIONEXAMPL"
		token   = "session-token"
		policy  = "eyJleHBpcmF0aW9uIjoiMjAzMC0wMS0wMVQwMDowMDowMFoiLCJjb25kaXRpb25zIjpbXX0="
	)
	now := time.Now().UTC()
	day := now.Format("20060102")
	tokenHash := sha256.Sum256([]byte(token))
	role := caller.Principal{Type: caller.AssumedRole, AccountID: testAcct, ARN: "arn:aws:sts::" + testAcct + ":assumed-role/r/s"}
	var used uses
	g, err := New(Options{
		Region: "us-east-1",
		S3:     apis3.New(nil, nil),
		Keys: keys{
			testKey:    {AccessKeyID: testKey, Secret: testSecret, AccountID: testAcct, Status: account.Active, Principal: account.RootPrincipal(testAcct, testKey)},
			inactiveAK: {AccessKeyID: inactiveAK, Secret: testSecret, AccountID: testAcct, Status: account.Inactive, Principal: account.RootPrincipal(testAcct, inactiveAK)},
			tempKey: {AccessKeyID: tempKey, Secret: testSecret, AccountID: testAcct, Status: account.Active, Principal: role,
				Temporary: true, TokenHash: tokenHash[:], Expires: now.Add(time.Hour)},
			oldKey: {AccessKeyID: oldKey, Secret: testSecret, AccountID: testAcct, Status: account.Active, Principal: role,
				Temporary: true, TokenHash: tokenHash[:], Expires: now.Add(-time.Minute)},
		},
		Usage: &used,
	})
	if err != nil {
		t.Fatal(err)
	}
	form := func(key, region, token string) sigv4.PostForm {
		return sigv4.PostForm{
			Algorithm:     sigv4.Algorithm,
			Credential:    key + "/" + day + "/" + region + "/s3/aws4_request",
			Date:          now.Format("20060102T150405Z"),
			Signature:     signPolicy(testSecret, day, region, policy),
			SecurityToken: token,
			Policy:        policy,
		}
	}
	ctx := caller.With(context.Background(), &caller.Caller{Region: "us-east-1", Time: now})

	p, err := g.AuthenticatePost(ctx, form(testKey, "us-east-1", ""))
	if err != nil || p.ARN != "arn:aws:iam::"+testAcct+":root" {
		t.Fatalf("root key: %+v %v", p, err)
	}
	if len(used) != 1 || used[0] != testKey+" s3 us-east-1" {
		t.Fatalf("usage = %v", used)
	}
	if p, err := g.AuthenticatePost(ctx, form(tempKey, "us-east-1", token)); err != nil || p.ARN != role.ARN {
		t.Fatalf("session key: %+v %v", p, err)
	}
	if len(used) != 1 {
		t.Fatalf("temporary credentials recorded: %v", used)
	}

	tampered := form(testKey, "us-east-1", "")
	tampered.Policy += "="
	algorithm := form(testKey, "us-east-1", "")
	algorithm.Algorithm = "AWS4-ECDSA-P256-SHA256"
	malformed := form(testKey, "us-east-1", "")
	malformed.Credential = testKey + "/" + day + "/us-east-1"
	for _, tt := range []struct {
		name   string
		f      sigv4.PostForm
		code   string
		status int
	}{
		{"unknown key", form("AKIAUNKNOWNEXAMPLE00", "us-east-1", ""), "InvalidAccessKeyId", 403},
		{"inactive key", form(inactiveAK, "us-east-1", ""), "InvalidAccessKeyId", 403},
		{"token with a long-term key", form(testKey, "us-east-1", token), "InvalidAccessKeyId", 403},
		{"session without its token", form(tempKey, "us-east-1", ""), "InvalidAccessKeyId", 403},
		{"session with a wrong token", form(tempKey, "us-east-1", "other"), "InvalidAccessKeyId", 403},
		{"expired session", form(oldKey, "us-east-1", token), "ExpiredToken", 400},
		{"wrong region", form(testKey, "eu-west-1", ""), "AuthorizationHeaderMalformed", 400},
		{"policy changed after signing", tampered, "SignatureDoesNotMatch", 403},
		{"unsupported algorithm", algorithm, "InvalidRequest", 400},
		{"malformed credential", malformed, "InvalidArgument", 400},
	} {
		_, err := g.AuthenticatePost(ctx, tt.f)
		e, ok := awserr.As(err)
		if !ok || e.Code != tt.code || e.Status != tt.status {
			t.Errorf("%s: %v, want %s %d", tt.name, err, tt.code, tt.status)
		}
	}
	if len(used) != 1 {
		t.Fatalf("refused forms recorded: %v", used)
	}
}
