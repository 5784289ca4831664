package iam

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/iam"
)

// Shapes shared by the entity operations (users, groups, roles, instance
// profiles, access keys), as in the IAM model (service-2.json) and
// aws-sdk-go-v2's types package. Inputs use `query` tags; outputs use
// encoding/xml tags, lists as Name>member.

// TagShape is the Tag structure, both in requests and responses.
type TagShape struct {
	Key   string `query:",required" xml:"Key"`
	Value string `query:",required" xml:"Value"`
}

// BoundaryShape is AttachedPermissionsBoundary.
type BoundaryShape struct {
	PermissionsBoundaryType string `xml:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `xml:"PermissionsBoundaryArn"`
}

// UserShape is the User structure. The root "user" of GetUser has no Path
// or UserName.
type UserShape struct {
	Path                string         `xml:"Path,omitempty"`
	UserName            string         `xml:"UserName,omitempty"`
	UserId              string         `xml:"UserId"`
	Arn                 string         `xml:"Arn"`
	CreateDate          protocol.Time  `xml:"CreateDate"`
	PermissionsBoundary *BoundaryShape `xml:"PermissionsBoundary,omitempty"`
	Tags                []TagShape     `xml:"Tags>member,omitempty"`
}

// GroupShape is the Group structure.
type GroupShape struct {
	Path       string        `xml:"Path"`
	GroupName  string        `xml:"GroupName"`
	GroupId    string        `xml:"GroupId"`
	Arn        string        `xml:"Arn"`
	CreateDate protocol.Time `xml:"CreateDate"`
}

// RoleLastUsedShape is RoleLastUsed; empty when the role was never used.
type RoleLastUsedShape struct {
	LastUsedDate *protocol.Time `xml:"LastUsedDate,omitempty"`
	Region       string         `xml:"Region,omitempty"`
}

// RoleShape is the Role structure. AssumeRolePolicyDocument is
// URL-encoded, as AWS returns it.
type RoleShape struct {
	Path                     string             `xml:"Path"`
	RoleName                 string             `xml:"RoleName"`
	RoleId                   string             `xml:"RoleId"`
	Arn                      string             `xml:"Arn"`
	CreateDate               protocol.Time      `xml:"CreateDate"`
	AssumeRolePolicyDocument string             `xml:"AssumeRolePolicyDocument"`
	Description              string             `xml:"Description,omitempty"`
	MaxSessionDuration       int32              `xml:"MaxSessionDuration"`
	PermissionsBoundary      *BoundaryShape     `xml:"PermissionsBoundary,omitempty"`
	Tags                     []TagShape         `xml:"Tags>member,omitempty"`
	RoleLastUsed             *RoleLastUsedShape `xml:"RoleLastUsed,omitempty"`
}

// InstanceProfileShape is the InstanceProfile structure.
type InstanceProfileShape struct {
	Path                string        `xml:"Path"`
	InstanceProfileName string        `xml:"InstanceProfileName"`
	InstanceProfileId   string        `xml:"InstanceProfileId"`
	Arn                 string        `xml:"Arn"`
	CreateDate          protocol.Time `xml:"CreateDate"`
	Roles               []RoleShape   `xml:"Roles>member"`
	Tags                []TagShape    `xml:"Tags>member,omitempty"`
}

// AccessKeyShape is AccessKey (with the secret, CreateAccessKey only).
type AccessKeyShape struct {
	UserName        string        `xml:"UserName,omitempty"`
	AccessKeyId     string        `xml:"AccessKeyId"`
	Status          string        `xml:"Status"`
	SecretAccessKey string        `xml:"SecretAccessKey"`
	CreateDate      protocol.Time `xml:"CreateDate"`
}

// AccessKeyMetadataShape is AccessKeyMetadata.
type AccessKeyMetadataShape struct {
	UserName    string        `xml:"UserName,omitempty"`
	AccessKeyId string        `xml:"AccessKeyId"`
	Status      string        `xml:"Status"`
	CreateDate  protocol.Time `xml:"CreateDate"`
}

// AccessKeyLastUsedShape is AccessKeyLastUsed.
type AccessKeyLastUsedShape struct {
	LastUsedDate *protocol.Time `xml:"LastUsedDate,omitempty"`
	ServiceName  string         `xml:"ServiceName"`
	Region       string         `xml:"Region"`
}

// EmptyResult is an output with a modeled but empty result (UpdateRole):
// the SDKs expect the <{Op}Result/> element, which the endpoint writes
// only for outputs with a field; the blank field encodes to nothing.
type EmptyResult struct {
	_ struct{}
}

// NoOutput is the output of operations without one (DeleteUser...).
type NoOutput struct{}

// ---- conversions ----

func tagsIn(in []TagShape) []iam.Tag {
	if len(in) == 0 {
		return nil
	}
	out := make([]iam.Tag, len(in))
	for i, t := range in {
		out[i] = iam.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

func tagsOut(in []iam.Tag) []TagShape {
	if len(in) == 0 {
		return nil
	}
	out := make([]TagShape, len(in))
	for i, t := range in {
		out[i] = TagShape{Key: t.Key, Value: t.Value}
	}
	return out
}

func boundaryOut(arn string) *BoundaryShape {
	if arn == "" {
		return nil
	}
	return &BoundaryShape{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: arn}
}

func userOut(u iam.User) UserShape {
	if u.Root {
		return UserShape{UserId: u.ID, Arn: u.ARN, CreateDate: protocol.NewTime(u.CreatedAt)}
	}
	return UserShape{Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: u.ARN, CreateDate: protocol.NewTime(u.CreatedAt),
		PermissionsBoundary: boundaryOut(u.BoundaryARN), Tags: tagsOut(u.Tags)}
}

func usersOut(in []iam.User) []UserShape {
	out := make([]UserShape, len(in))
	for i, u := range in {
		out[i] = userOut(u)
	}
	return out
}

func groupOut(g iam.Group) GroupShape {
	return GroupShape{Path: g.Path, GroupName: g.Name, GroupId: g.ID, Arn: g.ARN, CreateDate: protocol.NewTime(g.CreatedAt)}
}

func groupsOut(in []iam.Group) []GroupShape {
	out := make([]GroupShape, len(in))
	for i, g := range in {
		out[i] = groupOut(g)
	}
	return out
}

// roleOut renders a role; withLastUsed adds RoleLastUsed (GetRole and
// friends; AWS leaves it out of lists).
func roleOut(r iam.RoleEntity, withLastUsed bool) RoleShape {
	out := RoleShape{Path: r.Path, RoleName: r.Name, RoleId: r.ID, Arn: r.ARN, CreateDate: protocol.NewTime(r.CreatedAt),
		AssumeRolePolicyDocument: escapeRoleDocument(r.TrustPolicy), Description: r.Description,
		MaxSessionDuration: int32(r.MaxSessionDuration.Seconds()), PermissionsBoundary: boundaryOut(r.BoundaryARN), Tags: tagsOut(r.Tags)}
	if withLastUsed {
		out.RoleLastUsed = &RoleLastUsedShape{Region: r.LastUsedRegion}
		if r.LastUsedAt != nil {
			t := protocol.NewTime(*r.LastUsedAt)
			out.RoleLastUsed.LastUsedDate = &t
		}
	}
	return out
}

func rolesOut(in []iam.RoleEntity) []RoleShape {
	out := make([]RoleShape, len(in))
	for i, r := range in {
		out[i] = roleOut(r, false)
	}
	return out
}

func profileOut(p iam.InstanceProfile) InstanceProfileShape {
	return InstanceProfileShape{Path: p.Path, InstanceProfileName: p.Name, InstanceProfileId: p.ID, Arn: p.ARN,
		CreateDate: protocol.NewTime(p.CreatedAt), Roles: rolesOut(p.Roles), Tags: tagsOut(p.Tags)}
}

func profilesOut(in []iam.InstanceProfile) []InstanceProfileShape {
	out := make([]InstanceProfileShape, len(in))
	for i, p := range in {
		out[i] = profileOut(p)
	}
	return out
}

// escapeRoleDocument URL-encodes a policy document the way IAM returns
// it: every reserved character percent-encoded and spaces as %20 (the
// SDKs' decoders use plain URL unquoting, which would keep a '+').
func escapeRoleDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// pageIn converts the Marker/MaxItems members of a list request. A
// MaxItems below 1 is refused here, since the service reads 0 as "unset".
func pageIn(marker *string, maxItems *int32) (iam.PageInput, error) {
	p := iam.PageInput{}
	if marker != nil {
		p.Marker = *marker
	}
	if maxItems != nil {
		if *maxItems < 1 {
			return p, fmt.Errorf("%w: 1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1", iam.ErrValidation, *maxItems)
		}
		p.MaxItems = int(*maxItems)
	}
	return p, nil
}

// listOf runs a list operation that takes one string (a name, ARN or path
// prefix) and a page, with the request's Marker and MaxItems, and renders
// the page it returns with out.
func listOf[T, O any](ctx context.Context, list func(context.Context, string, iam.PageInput) (iam.Listing[T], error),
	arg string, marker *string, maxItems *int32, out func(iam.Listing[T]) *O) (*O, error) {
	page, err := pageIn(marker, maxItems)
	if err != nil {
		return nil, err
	}
	l, err := list(ctx, arg, page)
	if err != nil {
		return nil, err
	}
	return out(l), nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
