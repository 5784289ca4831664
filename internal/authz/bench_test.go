package authz

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/iam"
	"github.com/nimbuscloud/nimbus/internal/secret"
	"github.com/nimbuscloud/nimbus/internal/store/sqlite"
)

type allowAll struct{}

func (allowAll) Authorize(context.Context, string, string, map[string][]string) error { return nil }

// tenPolicies returns 10 policies of 10 statements with wildcards and
// conditions, the shape the figure asks for.
func tenPolicies() []string {
	var docs []string
	for p := 0; p < 10; p++ {
		var st []string
		for s := 0; s < 10; s++ {
			st = append(st, fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":["s3:Get*","s3:List*","ec2:Describe%d*"],`+
				`"Resource":["arn:aws:s3:::bucket-%d-%d/*","arn:aws:s3:::bucket-%d-%d"],`+
				`"Condition":{"StringLike":{"aws:username":"user-*"},"IpAddress":{"aws:SourceIp":["10.%d.0.0/16","127.0.0.0/8"]},"Bool":{"aws:SecureTransport":"false"}}}`,
				s, s, p, s, p, s, s))
		}
		docs = append(docs, `{"Version":"2012-10-17","Statement":[`+strings.Join(st, ",")+`]}`)
	}
	return docs
}

// benchSetup stores a user with 10 attached managed policies in a real
// SQLite-backed IAM and returns an authorizer reading from it.
func benchSetup(b *testing.B) (*Authorizer, context.Context) {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	box, _, _ := secret.LoadOrCreate(filepath.Join(dir, "k"))
	accts := account.New(st, box, account.Options{})
	if err := accts.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	svc := iam.New(st, accts, allowAll{}, iam.Options{})
	if err := svc.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	admin := caller.With(ctx, &caller.Caller{Principal: account.RootPrincipal(acct, "AKIAROOT")})
	if _, err := svc.CreateUser(admin, iam.CreateUserInput{UserName: "user-1"}); err != nil {
		b.Fatal(err)
	}
	for i, d := range tenPolicies() {
		p, err := svc.CreatePolicy(admin, iam.CreatePolicyInput{Name: fmt.Sprintf("p%d", i), Document: d})
		if err != nil {
			b.Fatal(err)
		}
		if err := svc.AttachUserPolicy(admin, "user-1", p.ARN); err != nil {
			b.Fatal(err)
		}
	}
	a := New(svc, Options{})
	return a, caller.With(ctx, user("user-1"))
}

// BenchmarkAuthorize measures what authorization adds to a request for a
// user with 10 attached policies of 10 statements: "hit" reuses the
// compiled set; "miss" reloads it from the store (SQLite) and recompiles,
// as after a change in the account.
func BenchmarkAuthorize(b *testing.B) {
	a, ctx := benchSetup(b)
	if err := a.Authorize(ctx, "s3:GetObject", "arn:aws:s3:::bucket-9-9/key", nil); err != nil {
		b.Fatalf("setup decision should allow: %v", err)
	}
	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := a.Authorize(ctx, "s3:GetObject", "arn:aws:s3:::bucket-9-9/key", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			a.PermissionsChanged(acct)
			if err := a.Authorize(ctx, "s3:GetObject", "arn:aws:s3:::bucket-9-9/key", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
