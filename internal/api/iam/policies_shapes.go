package iam

import (
	"sort"

	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/iam"
)

// Shapes of the policy operations (managed and inline policies,
// attachments, boundaries, account details and simulation), as in the IAM
// model and aws-sdk-go-v2's types package. Policy documents in outputs are
// URL-encoded (policyDocumentType), as AWS returns them.

// PolicyShape is the Policy structure.
type PolicyShape struct {
	PolicyName                    string        `xml:"PolicyName"`
	PolicyId                      string        `xml:"PolicyId"`
	Arn                           string        `xml:"Arn"`
	Path                          string        `xml:"Path"`
	DefaultVersionId              string        `xml:"DefaultVersionId"`
	AttachmentCount               int32         `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int32         `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool          `xml:"IsAttachable"`
	Description                   string        `xml:"Description,omitempty"`
	CreateDate                    protocol.Time `xml:"CreateDate"`
	UpdateDate                    protocol.Time `xml:"UpdateDate"`
	Tags                          []TagShape    `xml:"Tags>member,omitempty"`
}

// PolicyVersionShape is the PolicyVersion structure.
type PolicyVersionShape struct {
	Document         string        `xml:"Document,omitempty"`
	VersionId        string        `xml:"VersionId"`
	IsDefaultVersion bool          `xml:"IsDefaultVersion"`
	CreateDate       protocol.Time `xml:"CreateDate"`
}

// AttachedPolicyShape is AttachedPolicy.
type AttachedPolicyShape struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

// PolicyDetailShape is PolicyDetail (an inline policy with its document).
type PolicyDetailShape struct {
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

// UserDetailShape is UserDetail.
type UserDetailShape struct {
	Path                    string                `xml:"Path"`
	UserName                string                `xml:"UserName"`
	UserId                  string                `xml:"UserId"`
	Arn                     string                `xml:"Arn"`
	CreateDate              protocol.Time         `xml:"CreateDate"`
	UserPolicyList          []PolicyDetailShape   `xml:"UserPolicyList>member"`
	GroupList               []string              `xml:"GroupList>member"`
	AttachedManagedPolicies []AttachedPolicyShape `xml:"AttachedManagedPolicies>member"`
	PermissionsBoundary     *BoundaryShape        `xml:"PermissionsBoundary,omitempty"`
	Tags                    []TagShape            `xml:"Tags>member"`
}

// GroupDetailShape is GroupDetail.
type GroupDetailShape struct {
	Path                    string                `xml:"Path"`
	GroupName               string                `xml:"GroupName"`
	GroupId                 string                `xml:"GroupId"`
	Arn                     string                `xml:"Arn"`
	CreateDate              protocol.Time         `xml:"CreateDate"`
	GroupPolicyList         []PolicyDetailShape   `xml:"GroupPolicyList>member"`
	AttachedManagedPolicies []AttachedPolicyShape `xml:"AttachedManagedPolicies>member"`
}

// RoleDetailShape is RoleDetail.
type RoleDetailShape struct {
	Path                     string                 `xml:"Path"`
	RoleName                 string                 `xml:"RoleName"`
	RoleId                   string                 `xml:"RoleId"`
	Arn                      string                 `xml:"Arn"`
	CreateDate               protocol.Time          `xml:"CreateDate"`
	AssumeRolePolicyDocument string                 `xml:"AssumeRolePolicyDocument"`
	InstanceProfileList      []InstanceProfileShape `xml:"InstanceProfileList>member"`
	RolePolicyList           []PolicyDetailShape    `xml:"RolePolicyList>member"`
	AttachedManagedPolicies  []AttachedPolicyShape  `xml:"AttachedManagedPolicies>member"`
	PermissionsBoundary      *BoundaryShape         `xml:"PermissionsBoundary,omitempty"`
	Tags                     []TagShape             `xml:"Tags>member"`
	RoleLastUsed             RoleLastUsedShape      `xml:"RoleLastUsed"`
}

// ManagedPolicyDetailShape is ManagedPolicyDetail.
type ManagedPolicyDetailShape struct {
	PolicyName                    string               `xml:"PolicyName"`
	PolicyId                      string               `xml:"PolicyId"`
	Arn                           string               `xml:"Arn"`
	Path                          string               `xml:"Path"`
	DefaultVersionId              string               `xml:"DefaultVersionId"`
	AttachmentCount               int32                `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int32                `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool                 `xml:"IsAttachable"`
	Description                   string               `xml:"Description,omitempty"`
	CreateDate                    protocol.Time        `xml:"CreateDate"`
	UpdateDate                    protocol.Time        `xml:"UpdateDate"`
	PolicyVersionList             []PolicyVersionShape `xml:"PolicyVersionList>member"`
}

// SummaryEntryShape is one entry of GetAccountSummary's SummaryMap.
type SummaryEntryShape struct {
	Key   string `xml:"key"`
	Value int32  `xml:"value"`
}

// ContextEntryShape is ContextEntry in simulation requests.
type ContextEntryShape struct {
	ContextKeyName   *string  `query:"ContextKeyName"`
	ContextKeyValues []string `query:"ContextKeyValues"`
	ContextKeyType   *string  `query:"ContextKeyType"`
}

// StatementShape is Statement (a matched statement of a simulation).
type StatementShape struct {
	SourcePolicyId   string `xml:"SourcePolicyId"`
	SourcePolicyType string `xml:"SourcePolicyType"`
}

// BoundaryDecisionShape is PermissionsBoundaryDecisionDetail.
type BoundaryDecisionShape struct {
	AllowedByPermissionsBoundary bool `xml:"AllowedByPermissionsBoundary"`
}

// EvaluationResultShape is EvaluationResult.
type EvaluationResultShape struct {
	EvalActionName                    string                 `xml:"EvalActionName"`
	EvalResourceName                  string                 `xml:"EvalResourceName"`
	EvalDecision                      string                 `xml:"EvalDecision"`
	MatchedStatements                 []StatementShape       `xml:"MatchedStatements>member"`
	MissingContextValues              []string               `xml:"MissingContextValues>member"`
	PermissionsBoundaryDecisionDetail *BoundaryDecisionShape `xml:"PermissionsBoundaryDecisionDetail,omitempty"`
}

// ---- conversions ----

// policyDocOut URL-encodes a policy document for output.
func policyDocOut(doc string) string { return escapeRoleDocument(doc) }

func policyOut(p iam.ManagedPolicy) PolicyShape {
	return PolicyShape{
		PolicyName: p.Name, PolicyId: p.ID, Arn: p.ARN, Path: p.Path, DefaultVersionId: p.DefaultVersionID,
		AttachmentCount: int32(p.AttachmentCount), PermissionsBoundaryUsageCount: int32(p.BoundaryUsageCount),
		IsAttachable: p.IsAttachable, Description: p.Description,
		CreateDate: protocol.NewTime(p.CreateDate), UpdateDate: protocol.NewTime(p.UpdateDate), Tags: tagsOut(p.Tags),
	}
}

func versionOut(v iam.PolicyVersion, withDocument bool) PolicyVersionShape {
	out := PolicyVersionShape{VersionId: v.VersionID, IsDefaultVersion: v.IsDefault, CreateDate: protocol.NewTime(v.CreateDate)}
	if withDocument {
		out.Document = policyDocOut(v.Document)
	}
	return out
}

func attachedOut(in []iam.AttachedPolicy) []AttachedPolicyShape {
	out := make([]AttachedPolicyShape, len(in))
	for i, a := range in {
		out[i] = AttachedPolicyShape{PolicyName: a.Name, PolicyArn: a.ARN}
	}
	return out
}

func inlineDetailsOut(in []iam.InlinePolicy) []PolicyDetailShape {
	out := make([]PolicyDetailShape, len(in))
	for i, p := range in {
		out[i] = PolicyDetailShape{PolicyName: p.Name, PolicyDocument: policyDocOut(p.Document)}
	}
	return out
}

func profileRoleOut(r iam.ProfileRole) RoleShape {
	return RoleShape{Path: r.Path, RoleName: r.Name, RoleId: r.ID, Arn: r.ARN, CreateDate: protocol.NewTime(r.CreateDate),
		AssumeRolePolicyDocument: policyDocOut(r.TrustPolicy), Description: r.Description, MaxSessionDuration: int32(r.MaxSessionDuration)}
}

func detailsOut(d iam.AuthorizationDetails) *GetAccountAuthorizationDetailsOutput {
	out := &GetAccountAuthorizationDetailsOutput{
		UserDetailList: []UserDetailShape{}, GroupDetailList: []GroupDetailShape{}, RoleDetailList: []RoleDetailShape{},
		Policies: []ManagedPolicyDetailShape{}, IsTruncated: d.IsTruncated, Marker: d.Marker,
	}
	for _, u := range d.Users {
		out.UserDetailList = append(out.UserDetailList, UserDetailShape{
			Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: u.ARN, CreateDate: protocol.NewTime(u.CreateDate),
			UserPolicyList: inlineDetailsOut(u.InlinePolicies), GroupList: append([]string{}, u.Groups...),
			AttachedManagedPolicies: attachedOut(u.Attached), PermissionsBoundary: boundaryOut(u.BoundaryARN), Tags: tagsOut(u.Tags),
		})
	}
	for _, g := range d.Groups {
		out.GroupDetailList = append(out.GroupDetailList, GroupDetailShape{
			Path: g.Path, GroupName: g.Name, GroupId: g.ID, Arn: g.ARN, CreateDate: protocol.NewTime(g.CreateDate),
			GroupPolicyList: inlineDetailsOut(g.InlinePolicies), AttachedManagedPolicies: attachedOut(g.Attached),
		})
	}
	for _, r := range d.Roles {
		rd := RoleDetailShape{
			Path: r.Path, RoleName: r.Name, RoleId: r.ID, Arn: r.ARN, CreateDate: protocol.NewTime(r.CreateDate),
			AssumeRolePolicyDocument: policyDocOut(r.TrustPolicy), InstanceProfileList: []InstanceProfileShape{},
			RolePolicyList: inlineDetailsOut(r.InlinePolicies), AttachedManagedPolicies: attachedOut(r.Attached),
			PermissionsBoundary: boundaryOut(r.BoundaryARN), Tags: tagsOut(r.Tags), RoleLastUsed: RoleLastUsedShape{Region: r.LastUsedRegion},
		}
		if !r.LastUsed.IsZero() {
			t := protocol.NewTime(r.LastUsed)
			rd.RoleLastUsed.LastUsedDate = &t
		}
		for _, p := range r.InstanceProfiles {
			ip := InstanceProfileShape{Path: p.Path, InstanceProfileName: p.Name, InstanceProfileId: p.ID, Arn: p.ARN,
				CreateDate: protocol.NewTime(p.CreateDate), Roles: []RoleShape{}}
			for _, pr := range p.Roles {
				ip.Roles = append(ip.Roles, profileRoleOut(pr))
			}
			rd.InstanceProfileList = append(rd.InstanceProfileList, ip)
		}
		out.RoleDetailList = append(out.RoleDetailList, rd)
	}
	for _, p := range d.Policies {
		mp := ManagedPolicyDetailShape{
			PolicyName: p.Name, PolicyId: p.ID, Arn: p.ARN, Path: p.Path, DefaultVersionId: p.DefaultVersionID,
			AttachmentCount: int32(p.AttachmentCount), PermissionsBoundaryUsageCount: int32(p.BoundaryUsageCount),
			IsAttachable: p.IsAttachable, Description: p.Description,
			CreateDate: protocol.NewTime(p.CreateDate), UpdateDate: protocol.NewTime(p.UpdateDate),
		}
		for _, v := range p.Versions {
			mp.PolicyVersionList = append(mp.PolicyVersionList, versionOut(v, true))
		}
		out.Policies = append(out.Policies, mp)
	}
	return out
}

func summaryOut(m map[string]int) []SummaryEntryShape {
	out := make([]SummaryEntryShape, 0, len(m))
	for k, v := range m {
		out = append(out, SummaryEntryShape{Key: k, Value: int32(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func resultsOut(in []iam.EvaluationResult) []EvaluationResultShape {
	out := make([]EvaluationResultShape, len(in))
	for i, r := range in {
		e := EvaluationResultShape{EvalActionName: r.Action, EvalResourceName: r.Resource, EvalDecision: r.Decision,
			MatchedStatements: []StatementShape{}, MissingContextValues: append([]string{}, r.MissingContextValues...)}
		for _, m := range r.Matched {
			e.MatchedStatements = append(e.MatchedStatements, StatementShape{SourcePolicyId: m.SourcePolicyID, SourcePolicyType: m.SourcePolicyType})
		}
		if r.BoundaryAllowed != nil {
			e.PermissionsBoundaryDecisionDetail = &BoundaryDecisionShape{AllowedByPermissionsBoundary: *r.BoundaryAllowed}
		}
		out[i] = e
	}
	return out
}

func contextIn(in []ContextEntryShape) []iam.ContextEntry {
	out := make([]iam.ContextEntry, 0, len(in))
	for _, c := range in {
		out = append(out, iam.ContextEntry{Key: str(c.ContextKeyName), Values: c.ContextKeyValues, Type: str(c.ContextKeyType)})
	}
	return out
}
