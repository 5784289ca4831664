package iam_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdkiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/nimbuscloud/nimbus/internal/account"
	apiiam "github.com/nimbuscloud/nimbus/internal/api/iam"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/caller"
	iamsvc "github.com/nimbuscloud/nimbus/internal/iam"
	"github.com/nimbuscloud/nimbus/internal/secret"
	"github.com/nimbuscloud/nimbus/internal/store/sqlite"
)

// entAllow is an allow-all Authorizer (the authorizer itself is tested
// in its own package).
type entAllow struct{}

func (entAllow) Authorize(context.Context, string, string, map[string][]string) error { return nil }

// newEntClient serves IAM over HTTP on a real SQLite store, with every
// request made by the root of a fresh account, and returns an SDK client.
func newEntClient(t *testing.T) (*sdkiam.Client, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, _, err := secret.LoadOrCreate(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	accts := account.New(st, box, account.Options{})
	if err := accts.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := iamsvc.New(st, accts, entAllow{}, iamsvc.Options{})
	if err := svc.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	acct, key, err := accts.Create(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	ep, err := protocol.NewEndpoint(apiiam.Service(svc), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, protocol.MaxBodyBytes+1))
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		ctx := caller.With(r.Context(), &caller.Caller{RequestID: "req-1", Principal: key.Principal})
		ep.Serve(ctx, w, r, body)
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(key.AccessKeyID, key.Secret, "")}
	return sdkiam.NewFromConfig(cfg, func(o *sdkiam.Options) { o.BaseEndpoint = aws.String(srv.URL) }), acct.ID
}

func entAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an APIError", err, err)
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Fatalf("got %s / %q, want %s / %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func TestSDKUsers(t *testing.T) {
	c, acct := newEntClient(t)
	ctx := context.Background()
	out, err := c.CreateUser(ctx, &sdkiam.CreateUserInput{UserName: aws.String("bob"), Path: aws.String("/eng/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a b")}}})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	u := out.User
	if aws.ToString(u.Arn) != "arn:aws:iam::"+acct+":user/eng/bob" || aws.ToString(u.Path) != "/eng/" || u.CreateDate == nil ||
		time.Since(*u.CreateDate) > time.Minute || len(u.Tags) != 1 || aws.ToString(u.Tags[0].Value) != "a b" {
		t.Fatalf("CreateUser = %+v", u)
	}
	_, err = c.CreateUser(ctx, &sdkiam.CreateUserInput{UserName: aws.String("BOB")})
	entAPIError(t, err, "EntityAlreadyExists", "User with name BOB already exists.")
	var exists *types.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("not the modeled error: %T", err)
	}
	_, err = c.CreateUser(ctx, &sdkiam.CreateUserInput{UserName: aws.String("bad name")})
	entAPIError(t, err, "ValidationError", "")

	got, err := c.GetUser(ctx, &sdkiam.GetUserInput{UserName: aws.String("Bob")})
	if err != nil || aws.ToString(got.User.UserId) != aws.ToString(u.UserId) || len(got.User.Tags) != 1 {
		t.Fatalf("GetUser = %+v, %v", got, err)
	}
	self, err := c.GetUser(ctx, &sdkiam.GetUserInput{})
	if err != nil || aws.ToString(self.User.UserId) != acct || aws.ToString(self.User.Arn) != "arn:aws:iam::"+acct+":root" {
		t.Fatalf("GetUser(root) = %+v, %v", self, err)
	}
	_, err = c.GetUser(ctx, &sdkiam.GetUserInput{UserName: aws.String("nobody")})
	entAPIError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")

	for _, n := range []string{"carol", "alice", "dave", "erin"} {
		if _, err := c.CreateUser(ctx, &sdkiam.CreateUserInput{UserName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := sdkiam.NewListUsersPaginator(c, &sdkiam.ListUsersInput{MaxItems: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		pages++
		for _, u := range page.Users {
			names = append(names, aws.ToString(u.UserName))
		}
	}
	if strings.Join(names, ",") != "alice,bob,carol,dave,erin" || pages != 3 {
		t.Fatalf("ListUsers pages=%d names=%v", pages, names)
	}
	_, err = c.ListUsers(ctx, &sdkiam.ListUsersInput{MaxItems: aws.Int32(0)})
	entAPIError(t, err, "ValidationError", "")

	if _, err := c.UpdateUser(ctx, &sdkiam.UpdateUserInput{UserName: aws.String("bob"), NewUserName: aws.String("robert")}); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if _, err := c.CreateGroup(ctx, &sdkiam.CreateGroupInput{GroupName: aws.String("devs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddUserToGroup(ctx, &sdkiam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("robert")}); err != nil {
		t.Fatal(err)
	}
	g, err := c.GetGroup(ctx, &sdkiam.GetGroupInput{GroupName: aws.String("devs")})
	if err != nil || len(g.Users) != 1 || aws.ToString(g.Users[0].UserName) != "robert" || aws.ToString(g.Group.GroupName) != "devs" {
		t.Fatalf("GetGroup = %+v, %v", g, err)
	}
	_, err = c.DeleteUser(ctx, &sdkiam.DeleteUserInput{UserName: aws.String("robert")})
	entAPIError(t, err, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
	var conflict *types.DeleteConflictException
	if !errors.As(err, &conflict) {
		t.Fatalf("not the modeled error: %T", err)
	}
	if _, err := c.RemoveUserFromGroup(ctx, &sdkiam.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("robert")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteUser(ctx, &sdkiam.DeleteUserInput{UserName: aws.String("robert")}); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	tags, err := c.ListUserTags(ctx, &sdkiam.ListUserTagsInput{UserName: aws.String("alice")})
	if err != nil || len(tags.Tags) != 0 || tags.IsTruncated {
		t.Fatalf("ListUserTags = %+v, %v", tags, err)
	}
}

func TestSDKAccessKeys(t *testing.T) {
	c, _ := newEntClient(t)
	ctx := context.Background()
	if _, err := c.CreateUser(ctx, &sdkiam.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	k, err := c.CreateAccessKey(ctx, &sdkiam.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil || aws.ToString(k.AccessKey.UserName) != "bob" || len(aws.ToString(k.AccessKey.SecretAccessKey)) != 40 ||
		k.AccessKey.Status != types.StatusTypeActive {
		t.Fatalf("CreateAccessKey = %+v, %v", k, err)
	}
	if _, err := c.CreateAccessKey(ctx, &sdkiam.CreateAccessKeyInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateAccessKey(ctx, &sdkiam.CreateAccessKeyInput{UserName: aws.String("bob")})
	entAPIError(t, err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	id := k.AccessKey.AccessKeyId
	if _, err := c.UpdateAccessKey(ctx, &sdkiam.UpdateAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: id, Status: types.StatusTypeInactive}); err != nil {
		t.Fatalf("UpdateAccessKey: %v", err)
	}
	l, err := c.ListAccessKeys(ctx, &sdkiam.ListAccessKeysInput{UserName: aws.String("bob")})
	if err != nil || len(l.AccessKeyMetadata) != 2 {
		t.Fatalf("ListAccessKeys = %+v, %v", l, err)
	}
	for _, m := range l.AccessKeyMetadata {
		if aws.ToString(m.AccessKeyId) == aws.ToString(id) && m.Status != types.StatusTypeInactive {
			t.Fatalf("status %s", m.Status)
		}
	}
	lu, err := c.GetAccessKeyLastUsed(ctx, &sdkiam.GetAccessKeyLastUsedInput{AccessKeyId: id})
	if err != nil || aws.ToString(lu.UserName) != "bob" || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "N/A" || lu.AccessKeyLastUsed.LastUsedDate != nil {
		t.Fatalf("GetAccessKeyLastUsed = %+v, %v", lu, err)
	}
	_, err = c.DeleteUser(ctx, &sdkiam.DeleteUserInput{UserName: aws.String("bob")})
	entAPIError(t, err, "DeleteConflict", "Cannot delete entity, must delete access keys first.")
	if _, err := c.DeleteAccessKey(ctx, &sdkiam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: id}); err != nil {
		t.Fatalf("DeleteAccessKey: %v", err)
	}
	_, err = c.DeleteAccessKey(ctx, &sdkiam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: id})
	entAPIError(t, err, "NoSuchEntity", "The Access Key with id "+aws.ToString(id)+" cannot be found.")
	// Root credentials without UserName get a root key.
	rk, err := c.CreateAccessKey(ctx, &sdkiam.CreateAccessKeyInput{})
	if err != nil || rk.AccessKey.UserName != nil {
		t.Fatalf("root CreateAccessKey = %+v, %v", rk, err)
	}
}

const trustDoc = `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}`

func TestSDKRolesAndProfiles(t *testing.T) {
	c, acct := newEntClient(t)
	ctx := context.Background()
	cr, err := c.CreateRole(ctx, &sdkiam.CreateRoleInput{RoleName: aws.String("web"), AssumeRolePolicyDocument: aws.String(trustDoc),
		Description: aws.String("web+servers & co"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	if aws.ToString(cr.Role.Arn) != "arn:aws:iam::"+acct+":role/web" || aws.ToInt32(cr.Role.MaxSessionDuration) != 3600 {
		t.Fatalf("CreateRole = %+v", cr.Role)
	}
	_, err = c.CreateRole(ctx, &sdkiam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(`{"Statement":`)})
	entAPIError(t, err, "MalformedPolicyDocument", "")

	gr, err := c.GetRole(ctx, &sdkiam.GetRoleInput{RoleName: aws.String("WEB")})
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	// The SDK hands back the document URL-encoded, as AWS sends it.
	doc, err := url.QueryUnescape(aws.ToString(gr.Role.AssumeRolePolicyDocument))
	if err != nil || doc != trustDoc || strings.Contains(aws.ToString(gr.Role.AssumeRolePolicyDocument), "+") {
		t.Fatalf("trust policy round trip: %q (%v)", aws.ToString(gr.Role.AssumeRolePolicyDocument), err)
	}
	if aws.ToString(gr.Role.Description) != "web+servers & co" || len(gr.Role.Tags) != 1 || gr.Role.RoleLastUsed == nil {
		t.Fatalf("GetRole = %+v", gr.Role)
	}
	if _, err := c.UpdateRole(ctx, &sdkiam.UpdateRoleInput{RoleName: aws.String("web"), MaxSessionDuration: aws.Int32(7200)}); err != nil {
		t.Fatalf("UpdateRole: %v", err)
	}
	ud, err := c.UpdateRoleDescription(ctx, &sdkiam.UpdateRoleDescriptionInput{RoleName: aws.String("web"), Description: aws.String("d")})
	if err != nil || aws.ToString(ud.Role.Description) != "d" || aws.ToInt32(ud.Role.MaxSessionDuration) != 7200 {
		t.Fatalf("UpdateRoleDescription = %+v, %v", ud, err)
	}
	lr, err := c.ListRoles(ctx, &sdkiam.ListRolesInput{})
	if err != nil || len(lr.Roles) != 1 || lr.IsTruncated {
		t.Fatalf("ListRoles = %+v, %v", lr, err)
	}

	ip, err := c.CreateInstanceProfile(ctx, &sdkiam.CreateInstanceProfileInput{InstanceProfileName: aws.String("web-profile"), Path: aws.String("/app/")})
	if err != nil || aws.ToString(ip.InstanceProfile.Arn) != "arn:aws:iam::"+acct+":instance-profile/app/web-profile" {
		t.Fatalf("CreateInstanceProfile = %+v, %v", ip, err)
	}
	if _, err := c.AddRoleToInstanceProfile(ctx, &sdkiam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web-profile"), RoleName: aws.String("web")}); err != nil {
		t.Fatalf("AddRoleToInstanceProfile: %v", err)
	}
	_, err = c.AddRoleToInstanceProfile(ctx, &sdkiam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web-profile"), RoleName: aws.String("web")})
	entAPIError(t, err, "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	gp, err := c.GetInstanceProfile(ctx, &sdkiam.GetInstanceProfileInput{InstanceProfileName: aws.String("web-profile")})
	if err != nil || len(gp.InstanceProfile.Roles) != 1 || aws.ToString(gp.InstanceProfile.Roles[0].RoleName) != "web" {
		t.Fatalf("GetInstanceProfile = %+v, %v", gp, err)
	}
	fr, err := c.ListInstanceProfilesForRole(ctx, &sdkiam.ListInstanceProfilesForRoleInput{RoleName: aws.String("web")})
	if err != nil || len(fr.InstanceProfiles) != 1 {
		t.Fatalf("ListInstanceProfilesForRole = %+v, %v", fr, err)
	}
	_, err = c.DeleteRole(ctx, &sdkiam.DeleteRoleInput{RoleName: aws.String("web")})
	entAPIError(t, err, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
	_, err = c.DeleteInstanceProfile(ctx, &sdkiam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web-profile")})
	entAPIError(t, err, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
	if _, err := c.RemoveRoleFromInstanceProfile(ctx, &sdkiam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web-profile"), RoleName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteInstanceProfile(ctx, &sdkiam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web-profile")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRole(ctx, &sdkiam.DeleteRoleInput{RoleName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetInstanceProfile(ctx, &sdkiam.GetInstanceProfileInput{InstanceProfileName: aws.String("web-profile")})
	entAPIError(t, err, "NoSuchEntity", "Instance Profile web-profile cannot be found.")

	if _, err := c.CreateAccountAlias(ctx, &sdkiam.CreateAccountAliasInput{AccountAlias: aws.String("acme")}); err != nil {
		t.Fatal(err)
	}
	al, err := c.ListAccountAliases(ctx, &sdkiam.ListAccountAliasesInput{})
	if err != nil || len(al.AccountAliases) != 1 || al.AccountAliases[0] != "acme" {
		t.Fatalf("ListAccountAliases = %+v, %v", al, err)
	}
}
