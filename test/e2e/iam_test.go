package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

func mustCode(t *testing.T, err error, code string) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("want %s, got %v", code, err)
	}
	return ae
}

// newUser creates an IAM user with an access key and an inline policy and
// returns an aws.Config signing as that user.
func newUser(t *testing.T, r *harness.Region, root *iam.Client, name, policy string) aws.Config {
	t.Helper()
	ctx := context.Background()
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if policy != "" {
		if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}); err != nil {
			t.Fatal(err)
		}
	}
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return r.ConfigFor(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))
}

// TestLeastPrivilegeIsEnforced is the scenario: a user allowed only
// s3:GetObject on one bucket's objects.
func TestLeastPrivilegeIsEnforced(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	root := iam.NewFromConfig(r.AWSConfig())
	alice := newUser(t, r, root, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)

	id, err := sts.NewFromConfig(alice).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::"+r.AccountID+":user/alice" {
		t.Fatalf("alice's identity: %v %v", id, err)
	}
	_, err = ec2.NewFromConfig(alice).DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	ae := mustCode(t, err, "UnauthorizedOperation")
	if !strings.Contains(ae.ErrorMessage(), "ec2:DescribeAvailabilityZones") || !strings.Contains(ae.ErrorMessage(), "Encoded authorization failure message: ") {
		t.Fatalf("ec2 denial message: %s", ae.ErrorMessage())
	}
	encoded := ae.ErrorMessage()[strings.Index(ae.ErrorMessage(), "message: ")+len("message: "):]
	dec, err := sts.NewFromConfig(r.AWSConfig()).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)})
	if err != nil || !strings.Contains(aws.ToString(dec.DecodedMessage), `"ec2:DescribeAvailabilityZones"`) {
		t.Fatalf("decode: %v %v", dec, err)
	}

	_, err = iam.NewFromConfig(alice).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	ae = mustCode(t, err, "AccessDenied")
	want := "User: arn:aws:iam::" + r.AccountID + ":user/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::" + r.AccountID + ":user/mallory because no identity-based policy allows the iam:CreateUser action"
	if ae.ErrorMessage() != want {
		t.Fatalf("iam denial message:\n got %s\nwant %s", ae.ErrorMessage(), want)
	}
	if _, err := root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("mallory")}); err == nil {
		t.Fatal("a denied CreateUser created the user")
	}

	// Granting takes effect at once; an explicit deny beats it.
	if _, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ec2.NewFromConfig(alice).DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{}); err != nil {
		t.Fatalf("after attaching AmazonEC2ReadOnlyAccess: %v", err)
	}
	if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = ec2.NewFromConfig(alice).DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	ae = mustCode(t, err, "UnauthorizedOperation")
	if !strings.Contains(ae.ErrorMessage(), "with an explicit deny") {
		t.Fatalf("explicit deny message: %s", ae.ErrorMessage())
	}

	// Deactivating the key stops it at once.
	keys, err := root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	if err != nil || len(keys.AccessKeyMetadata) != 1 {
		t.Fatalf("list keys: %v", err)
	}
	if _, err := root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: keys.AccessKeyMetadata[0].AccessKeyId, Status: "Inactive"}); err != nil {
		t.Fatal(err)
	}
	_, err = sts.NewFromConfig(alice).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	mustCode(t, err, "InvalidClientTokenId")
}

const trustAccount = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"open-sesame"}}}]}`

// TestAssumeRoleLifecycle: trust policy with ExternalId, temporary
// credentials that work, are limited by the role's policies and a session
// policy, expire, and die with their role.
func TestAssumeRoleLifecycle(t *testing.T) {
	r := harness.Start(t, harness.WithArgs("--sts-min-session-duration", "1s"))
	ctx := context.Background()
	root := iam.NewFromConfig(r.AWSConfig())
	bob := newUser(t, r, root, "bob", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	role, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("reader"),
		AssumeRolePolicyDocument: aws.String(strings.ReplaceAll(trustAccount, "%s", r.AccountID))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("ec2read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","iam:Get*"],"Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	stsBob := sts.NewFromConfig(bob)
	_, err = stsBob.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("s1")})
	mustCode(t, err, "AccessDenied") // no ExternalId

	out, err := stsBob.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("s1"), ExternalId: aws.String("open-sesame")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(out.Credentials.AccessKeyId), "ASIA") {
		t.Fatalf("temporary key id %s", aws.ToString(out.Credentials.AccessKeyId))
	}
	sess := r.AWSConfig()
	sess.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	id, err := sts.NewFromConfig(sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:sts::"+r.AccountID+":assumed-role/reader/s1" {
		t.Fatalf("session identity: %v %v", id, err)
	}
	if _, err := ec2.NewFromConfig(sess).DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{}); err != nil {
		t.Fatalf("role allows ec2:Describe*: %v", err)
	}
	_, err = iam.NewFromConfig(sess).ListUsers(ctx, &iam.ListUsersInput{})
	mustCode(t, err, "AccessDenied")

	// A wrong session token is refused.
	bad := r.AWSConfig()
	bad.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), "forged")
	_, err = sts.NewFromConfig(bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	mustCode(t, err, "InvalidClientTokenId")

	// A session policy narrows the role.
	narrow, err := stsBob.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("s2"), ExternalId: aws.String("open-sesame"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	ns := r.AWSConfig()
	ns.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(narrow.Credentials.AccessKeyId), aws.ToString(narrow.Credentials.SecretAccessKey), aws.ToString(narrow.Credentials.SessionToken))
	_, err = ec2.NewFromConfig(ns).DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	ae := mustCode(t, err, "UnauthorizedOperation")
	if !strings.Contains(ae.ErrorMessage(), "session policy") {
		t.Fatalf("session policy denial: %s", ae.ErrorMessage())
	}

	// Expiry.
	short, err := stsBob.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("s3"), ExternalId: aws.String("open-sesame"), DurationSeconds: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	ss := r.AWSConfig()
	ss.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(short.Credentials.AccessKeyId), aws.ToString(short.Credentials.SecretAccessKey), aws.ToString(short.Credentials.SessionToken))
	if _, err := sts.NewFromConfig(ss).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("fresh short session: %v", err)
	}
	time.Sleep(3 * time.Second)
	_, err = sts.NewFromConfig(ss).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	mustCode(t, err, "ExpiredToken")

	// Deleting the role revokes its sessions.
	if _, err := root.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("ec2read")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("reader")}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // the authentication cache's TTL
	_, err = sts.NewFromConfig(sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	mustCode(t, err, "InvalidClientTokenId")
}

// TestAccountsAreIsolated: two accounts never see each other's users or
// roles.
func TestAccountsAreIsolated(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	out, err := r.Nimbus(t, "admin", "accounts", "create", "--name", "other", "--data-dir", r.DataDir)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	exp := parseExports(out)
	one, two := iam.NewFromConfig(r.AWSConfig()), iam.NewFromConfig(r.ConfigFor(exp["AWS_ACCESS_KEY_ID"], exp["AWS_SECRET_ACCESS_KEY"]))
	if _, err := one.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("only-in-one")}); err != nil {
		t.Fatal(err)
	}
	if _, err := two.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("only-in-two"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = two.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("only-in-one")})
	mustCode(t, err, "NoSuchEntity")
	_, err = one.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("only-in-two")})
	mustCode(t, err, "NoSuchEntity")
	users, err := two.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil || len(users.Users) != 0 {
		t.Fatalf("account two lists %d users: %v", len(users.Users), err)
	}
	// The same name may exist in both.
	if _, err := two.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("only-in-one")}); err != nil {
		t.Fatalf("same name in another account: %v", err)
	}
}

// TestBadPoliciesAreRefusedAndNothingStored.
func TestBadPoliciesAreRefusedAndNothingStored(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	root := iam.NewFromConfig(r.AWSConfig())
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":[` +
		strings.Repeat(`"arn:aws:s3:::bucket-with-a-long-name/some/prefix/*",`, 60) + `"*"]}]}`
	bad := map[string]string{
		"malformed JSON":   `{"Version":"2012-10-17","Statement":[`,
		"unknown operator": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"carol"}}}]}`,
		"bad effect":       `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`,
	}
	for name, doc := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
			mustCode(t, err, "MalformedPolicyDocument")
		})
	}
	_, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("p"), PolicyDocument: aws.String(big)})
	mustCode(t, err, "LimitExceeded") // AWS: "Maximum policy size of 2048 bytes exceeded for user carol"
	_, err = root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("broken"), PolicyDocument: aws.String(bad["unknown operator"])})
	mustCode(t, err, "MalformedPolicyDocument")
	pols, err := root.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("carol")})
	if err != nil || len(pols.PolicyNames) != 0 {
		t.Fatalf("refused policies were stored: %v %v", pols, err)
	}
	local, err := root.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: "Local"})
	if err != nil || len(local.Policies) != 0 {
		t.Fatalf("refused managed policy was stored: %v", err)
	}
}

// TestGetSessionToken: a user's session credentials act as the user but
// cannot call IAM (no MFA), as on AWS.
func TestGetSessionToken(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	root := iam.NewFromConfig(r.AWSConfig())
	erin := newUser(t, r, root, "erin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	tok, err := sts.NewFromConfig(erin).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	sess := r.AWSConfig()
	sess.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(tok.Credentials.AccessKeyId), aws.ToString(tok.Credentials.SecretAccessKey), aws.ToString(tok.Credentials.SessionToken))
	id, err := sts.NewFromConfig(sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::"+r.AccountID+":user/erin" {
		t.Fatalf("session identity: %v %v", id, err)
	}
	if _, err := ec2.NewFromConfig(sess).DescribeRegions(ctx, &ec2.DescribeRegionsInput{}); err != nil {
		t.Fatalf("session with erin's permissions: %v", err)
	}
	_, err = iam.NewFromConfig(sess).ListUsers(ctx, &iam.ListUsersInput{})
	mustCode(t, err, "AccessDenied")
	// The same key without its token is refused.
	noToken := r.ConfigFor(aws.ToString(tok.Credentials.AccessKeyId), aws.ToString(tok.Credentials.SecretAccessKey))
	_, err = sts.NewFromConfig(noToken).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	mustCode(t, err, "InvalidClientTokenId")
}
