package iam

import (
	"fmt"
	"strings"
	"testing"
)

func TestEntTags(t *testing.T) {
	e := newEntEnv(t)
	ctx := e.root(e.acctA)
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "bob"}))
	many := func(n, from int) []Tag {
		var out []Tag
		for i := 0; i < n; i++ {
			out = append(out, Tag{fmt.Sprintf("k%02d", from+i), "v"})
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		tags     []Tag
		sentinel error
		msg      string
	}{
		{"51 in one request", many(51, 0), ErrValidation, ""},
		{"duplicate keys", []Tag{{"Env", "a"}, {"env", "b"}}, ErrInvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"bad key", []Tag{{"NOWAY!", ""}}, ErrValidation, ""},
		{"empty key", []Tag{{"", "v"}}, ErrValidation, ""},
		{"long key", []Tag{{strings.Repeat("k", 129), ""}}, ErrValidation, ""},
		{"long value", []Tag{{"k", strings.Repeat("v", 257)}}, ErrValidation, ""},
		{"reserved", []Tag{{"aws:x", "v"}}, ErrInvalidInput, ""},
	} {
		entWantErr(t, e.svc.TagUser(ctx, "bob", tc.tags), tc.sentinel, tc.msg)
	}
	entDo(t, e.svc.TagUser(ctx, "bob", append(many(30, 0), Tag{"Unicode é 1", "ü ok"})))
	entWantErr(t, e.svc.TagUser(ctx, "bob", many(20, 30)), ErrLimitExceeded, "The number of tags has reached the maximum limit.")
	// Overwriting existing keys does not count against the limit.
	entDo(t, e.svc.TagUser(ctx, "bob", append(many(19, 30), Tag{"K00", "new"})))
	l := entMust[Listing[Tag]](t)(e.svc.ListUserTags(ctx, "bob", PageInput{}))
	if len(l.Items) != 50 || l.Items[0] != (Tag{"K00", "new"}) {
		t.Fatalf("tags %d %+v", len(l.Items), l.Items[:2])
	}
	entDo(t, e.svc.UntagUser(ctx, "bob", []string{"k00", "absent", "K01"}))
	var seen []Tag
	page := PageInput{MaxItems: 20}
	for {
		l := entMust[Listing[Tag]](t)(e.svc.ListUserTags(ctx, "bob", page))
		seen = append(seen, l.Items...)
		if !l.IsTruncated {
			break
		}
		page.Marker = l.Marker
	}
	if len(seen) != 48 || seen[0].Key != "k02" {
		t.Fatalf("paged tags %d %+v", len(seen), seen[0])
	}
	entWantErr(t, e.svc.UntagUser(ctx, "nobody", []string{"a"}), ErrNoSuchEntity, "The user with name nobody cannot be found.")

	// Roles and instance profiles share the rules.
	entMust[RoleEntity](t)(e.svc.CreateRole(ctx, CreateRoleInput{RoleName: "r", AssumeRolePolicyDocument: ec2Trust}))
	entDo(t, e.svc.TagRole(ctx, "R", []Tag{{"a", "1"}}))
	if c := e.az.last(); c.action != "iam:TagRole" || c.keys["aws:RequestTag/a"][0] != "1" {
		t.Fatalf("TagRole authorized %+v", c)
	}
	entDo(t, e.svc.UntagRole(ctx, "r", []string{"A"}))
	if l := entMust[Listing[Tag]](t)(e.svc.ListRoleTags(ctx, "r", PageInput{})); len(l.Items) != 0 {
		t.Fatalf("role tags %+v", l)
	}
	entMust[InstanceProfile](t)(e.svc.CreateInstanceProfile(ctx, "p", "", nil))
	entDo(t, e.svc.TagInstanceProfile(ctx, "p", []Tag{{"a", "1"}}))
	if l := entMust[Listing[Tag]](t)(e.svc.ListInstanceProfileTags(ctx, "p", PageInput{})); len(l.Items) != 1 {
		t.Fatalf("profile tags %+v", l)
	}
	entWantErr(t, e.svc.TagInstanceProfile(ctx, "q", []Tag{{"a", "1"}}), ErrNoSuchEntity, "Instance Profile q cannot be found.")
}

func TestEntGroups(t *testing.T) {
	e := newEntEnv(t)
	ctx := e.root(e.acctA)
	g := entMust[Group](t)(e.svc.CreateGroup(ctx, "Devs", "/eng/"))
	if g.ARN != "arn:aws:iam::"+e.acctA+":group/eng/Devs" || !strings.HasPrefix(g.ID, PrefixGroup) {
		t.Fatalf("group %+v", g)
	}
	_, err := e.svc.CreateGroup(ctx, "devs", "")
	entWantErr(t, err, ErrEntityAlreadyExists, "Group with name devs already exists.")
	for _, n := range []string{"u3", "u1", "u2"} {
		entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: n}))
		entDo(t, e.svc.AddUserToGroup(ctx, "devs", n))
	}
	entDo(t, e.svc.AddUserToGroup(ctx, "devs", "u1")) // idempotent
	entWantErr(t, e.svc.AddUserToGroup(ctx, "devs", "nobody"), ErrNoSuchEntity, "The user with name nobody cannot be found.")
	entWantErr(t, e.svc.AddUserToGroup(ctx, "nope", "u1"), ErrNoSuchEntity, "The group with name nope cannot be found.")
	_, p1 := entMust2(t)(e.svc.GetGroup(ctx, "devs", PageInput{MaxItems: 2}))
	_, p2 := entMust2(t)(e.svc.GetGroup(ctx, "devs", PageInput{MaxItems: 2, Marker: p1.Marker}))
	if got := strings.Join(append(userNames(p1), userNames(p2)...), ","); got != "u1,u2,u3" || !p1.IsTruncated || p2.IsTruncated {
		t.Fatalf("members %s", got)
	}
	// A user is in at most 10 groups.
	for i := 0; i < 9; i++ {
		entMust[Group](t)(e.svc.CreateGroup(ctx, fmt.Sprintf("g%d", i), ""))
		entDo(t, e.svc.AddUserToGroup(ctx, fmt.Sprintf("g%d", i), "u1"))
	}
	entMust[Group](t)(e.svc.CreateGroup(ctx, "g10", ""))
	entWantErr(t, e.svc.AddUserToGroup(ctx, "g10", "u1"), ErrLimitExceeded, "Cannot exceed quota for GroupsPerUser: 10")
	fu := entMust[Listing[Group]](t)(e.svc.ListGroupsForUser(ctx, "U1", PageInput{}))
	if len(fu.Items) != 10 || fu.Items[0].Name != "Devs" {
		t.Fatalf("groups for user %d %+v", len(fu.Items), fu.Items[0])
	}
	if l := entMust[Listing[Group]](t)(e.svc.ListGroups(ctx, "/eng/", PageInput{})); len(l.Items) != 1 {
		t.Fatalf("path filter %+v", l)
	}
	entDo(t, e.svc.UpdateGroup(ctx, UpdateGroupInput{GroupName: "devs", NewGroupName: entPtr("Builders")}))
	b, members := entMust2(t)(e.svc.GetGroup(ctx, "builders", PageInput{}))
	if b.ARN != "arn:aws:iam::"+e.acctA+":group/eng/Builders" || len(members.Items) != 3 {
		t.Fatalf("renamed group %+v %d", b, len(members.Items))
	}
	entWantErr(t, e.svc.DeleteGroup(ctx, "builders"), ErrDeleteConflict, "Cannot delete entity, must remove users from group first.")
	for _, n := range []string{"u1", "u2", "u3"} {
		entDo(t, e.svc.RemoveUserFromGroup(ctx, "builders", n))
	}
	entWantErr(t, e.svc.RemoveUserFromGroup(ctx, "builders", "u1"), ErrNoSuchEntity, "The user with name u1 cannot be found.")
	entDo(t, e.svc.DeleteGroup(ctx, "builders"))
	entWantErr(t, e.svc.DeleteGroup(ctx, "builders"), ErrNoSuchEntity, "The group with name builders cannot be found.")
}
