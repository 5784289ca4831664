package iam

import (
	"strings"
	"testing"
	"time"
)

const ec2Trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func TestEntRoles(t *testing.T) {
	e := newEntEnv(t)
	ctx := e.root(e.acctA)
	r := entMust[RoleEntity](t)(e.svc.CreateRole(ctx, CreateRoleInput{RoleName: "Web", Path: "/app/", AssumeRolePolicyDocument: ec2Trust,
		Description: "web servers", Tags: []Tag{{"env", "prod"}}}))
	if r.ARN != "arn:aws:iam::"+e.acctA+":role/app/Web" || !strings.HasPrefix(r.ID, PrefixRole) || r.MaxSessionDuration != time.Hour || r.TrustPolicy != ec2Trust {
		t.Fatalf("role %+v", r)
	}
	_, err := e.svc.CreateRole(ctx, CreateRoleInput{RoleName: "WEB", AssumeRolePolicyDocument: ec2Trust})
	entWantErr(t, err, ErrEntityAlreadyExists, "Role with name WEB already exists.")

	for _, tc := range []struct {
		name     string
		in       CreateRoleInput
		sentinel error
		msg      string
	}{
		{"not json", CreateRoleInput{RoleName: "x", AssumeRolePolicyDocument: "{nope"}, ErrMalformedPolicy, ""},
		{"no principal", CreateRoleInput{RoleName: "x", AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`}, ErrMalformedPolicy, ""},
		{"empty", CreateRoleInput{RoleName: "x"}, ErrValidation, ""},
		{"duration low", CreateRoleInput{RoleName: "x", AssumeRolePolicyDocument: ec2Trust, MaxSessionDuration: 100}, ErrValidation, ""},
		{"duration high", CreateRoleInput{RoleName: "x", AssumeRolePolicyDocument: ec2Trust, MaxSessionDuration: 43201}, ErrValidation, ""},
		{"long description", CreateRoleInput{RoleName: "x", AssumeRolePolicyDocument: ec2Trust, Description: strings.Repeat("d", 1001)}, ErrValidation, ""},
		{"long name", CreateRoleInput{RoleName: strings.Repeat("r", 65), AssumeRolePolicyDocument: ec2Trust}, ErrValidation, ""},
		{"too large", CreateRoleInput{RoleName: "x", AssumeRolePolicyDocument: bigTrust(2100)}, ErrLimitExceeded, "Cannot exceed quota for ACLSizePerRole: 2048"},
	} {
		_, err := e.svc.CreateRole(ctx, tc.in)
		if err == nil {
			t.Errorf("%s: created", tc.name)
			continue
		}
		entWantErr(t, err, tc.sentinel, tc.msg)
	}
	// White space is not counted against the size quota.
	spaced := strings.ReplaceAll(bigTrust(1900), ",", ",\n        ")
	if len(spaced) <= 2048 {
		t.Fatalf("test doc too small: %d", len(spaced))
	}
	entMust[RoleEntity](t)(e.svc.CreateRole(ctx, CreateRoleInput{RoleName: "spaced", AssumeRolePolicyDocument: spaced, MaxSessionDuration: 43200}))

	got := entMust[RoleEntity](t)(e.svc.GetRole(ctx, "web"))
	if got.Description != "web servers" || len(got.Tags) != 1 || got.LastUsedAt != nil {
		t.Fatalf("GetRole %+v", got)
	}
	entDo(t, e.svc.NoteRoleUsed(ctx, e.acctA, r.ID, "us-east-1"))
	if got := entMust[RoleEntity](t)(e.svc.GetRole(ctx, "web")); got.LastUsedAt == nil || got.LastUsedRegion != "us-east-1" {
		t.Fatalf("last used %+v", got)
	}

	entDo(t, e.svc.UpdateRole(ctx, UpdateRoleInput{RoleName: "web", MaxSessionDuration: entPtr[int32](7200)}))
	got = entMust[RoleEntity](t)(e.svc.UpdateRoleDescription(ctx, "web", "new"))
	if got.Description != "new" || got.MaxSessionDuration != 2*time.Hour {
		t.Fatalf("updated %+v", got)
	}
	entWantErr(t, e.svc.UpdateRole(ctx, UpdateRoleInput{RoleName: "nope"}), ErrNoSuchEntity, "The role with name nope cannot be found.")

	newTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + e.acctB + `:root"},"Action":"sts:AssumeRole"}]}`
	entDo(t, e.svc.UpdateAssumeRolePolicy(ctx, "web", newTrust))
	entWantErr(t, e.svc.UpdateAssumeRolePolicy(ctx, "web", "[]"), ErrMalformedPolicy, "")
	if got := entMust[RoleEntity](t)(e.svc.GetRole(ctx, "web")); got.TrustPolicy != newTrust {
		t.Fatalf("trust %s", got.TrustPolicy)
	}
	// The platform lookup sees the same role.
	if pr, err := e.svc.RoleByARN(ctx, r.ARN); err != nil || pr.TrustPolicy != newTrust {
		t.Fatalf("RoleByARN %+v %v", pr, err)
	}

	l := entMust[Listing[RoleEntity]](t)(e.svc.ListRoles(ctx, "/app/", PageInput{}))
	if len(l.Items) != 1 || l.Items[0].Name != "Web" || l.Items[0].Tags != nil {
		t.Fatalf("ListRoles %+v", l)
	}
	all := entMust[Listing[RoleEntity]](t)(e.svc.ListRoles(ctx, "", PageInput{MaxItems: 1}))
	if !all.IsTruncated || all.Items[0].Name != "spaced" {
		t.Fatalf("ListRoles page %+v", all)
	}

	entDo(t, e.svc.DeleteRole(ctx, "WEB"))
	entWantErr(t, e.svc.DeleteRole(ctx, "web"), ErrNoSuchEntity, "The role with name web cannot be found.")
	if _, err := e.svc.RoleByID(ctx, e.acctA, r.ID); err == nil {
		t.Fatal("deleted role still exists")
	}
}

// bigTrust returns a valid trust policy of at least n compact characters.
func bigTrust(n int) string {
	var arns []string
	for i := 0; len(strings.Join(arns, ","))+120 < n; i++ {
		arns = append(arns, `"arn:aws:iam::123456789012:user/u`+strings.Repeat("x", 20)+string(rune('a'+i%26))+`"`)
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[` + strings.Join(arns, ",") + `]},"Action":"sts:AssumeRole"}]}`
}

func TestEntInstanceProfiles(t *testing.T) {
	e := newEntEnv(t)
	ctx := e.root(e.acctA)
	entMust[RoleEntity](t)(e.svc.CreateRole(ctx, CreateRoleInput{RoleName: "web", AssumeRolePolicyDocument: ec2Trust}))
	entMust[RoleEntity](t)(e.svc.CreateRole(ctx, CreateRoleInput{RoleName: "db", AssumeRolePolicyDocument: ec2Trust}))
	p := entMust[InstanceProfile](t)(e.svc.CreateInstanceProfile(ctx, "WebProfile", "/app/", []Tag{{"a", "b"}}))
	if p.ARN != "arn:aws:iam::"+e.acctA+":instance-profile/app/WebProfile" || !strings.HasPrefix(p.ID, PrefixInstanceProfile) || len(p.Roles) != 0 {
		t.Fatalf("profile %+v", p)
	}
	_, err := e.svc.CreateInstanceProfile(ctx, "webprofile", "", nil)
	entWantErr(t, err, ErrEntityAlreadyExists, "Instance Profile webprofile already exists.")
	entWantErr(t, e.svc.AddRoleToInstanceProfile(ctx, "nope", "web"), ErrNoSuchEntity, "Instance Profile nope cannot be found.")
	entWantErr(t, e.svc.AddRoleToInstanceProfile(ctx, "webprofile", "nope"), ErrNoSuchEntity, "The role with name nope cannot be found.")

	entDo(t, e.svc.AddRoleToInstanceProfile(ctx, "webprofile", "WEB"))
	entWantErr(t, e.svc.AddRoleToInstanceProfile(ctx, "webprofile", "db"), ErrLimitExceeded, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	got := entMust[InstanceProfile](t)(e.svc.GetInstanceProfile(ctx, "webprofile"))
	if len(got.Roles) != 1 || got.Roles[0].Name != "web" || got.Roles[0].TrustPolicy != ec2Trust || len(got.Tags) != 1 {
		t.Fatalf("GetInstanceProfile %+v", got)
	}
	fr := entMust[Listing[InstanceProfile]](t)(e.svc.ListInstanceProfilesForRole(ctx, "web", PageInput{}))
	if len(fr.Items) != 1 || fr.Items[0].Name != "WebProfile" || len(fr.Items[0].Roles) != 1 {
		t.Fatalf("ForRole %+v", fr)
	}
	if fr := entMust[Listing[InstanceProfile]](t)(e.svc.ListInstanceProfilesForRole(ctx, "db", PageInput{})); len(fr.Items) != 0 {
		t.Fatalf("db profiles %+v", fr)
	}
	entWantErr(t, e.svc.DeleteRole(ctx, "web"), ErrDeleteConflict, "Cannot delete entity, must remove roles from instance profile first.")
	entWantErr(t, e.svc.DeleteInstanceProfile(ctx, "webprofile"), ErrDeleteConflict, "Cannot delete entity, must remove roles from instance profile first.")
	entWantErr(t, e.svc.RemoveRoleFromInstanceProfile(ctx, "webprofile", "db"), ErrNoSuchEntity, "The role with name db cannot be found.")
	entDo(t, e.svc.RemoveRoleFromInstanceProfile(ctx, "webprofile", "web"))
	entDo(t, e.svc.DeleteInstanceProfile(ctx, "WEBPROFILE"))
	entDo(t, e.svc.DeleteRole(ctx, "web"))
	if l := entMust[Listing[InstanceProfile]](t)(e.svc.ListInstanceProfiles(ctx, "", PageInput{})); len(l.Items) != 0 {
		t.Fatalf("profiles left %+v", l)
	}
}
