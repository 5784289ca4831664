package iam

import (
	"context"

	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/iam"
)

// registerInline adds Put/Get/Delete/List{User,Group,Role}Policy(ies).
func (h handlers) registerInline(s *protocol.Service) {
	s.Register(
		protocol.Op("PutUserPolicy", func(ctx context.Context, in *PutUserPolicyInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.PutUserPolicy(ctx, in.UserName, in.PolicyName, in.PolicyDocument)
		}),
		protocol.Op("PutGroupPolicy", func(ctx context.Context, in *PutGroupPolicyInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.PutGroupPolicy(ctx, in.GroupName, in.PolicyName, in.PolicyDocument)
		}),
		protocol.Op("PutRolePolicy", func(ctx context.Context, in *PutRolePolicyInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.PutRolePolicy(ctx, in.RoleName, in.PolicyName, in.PolicyDocument)
		}),
		protocol.Op("GetUserPolicy", func(ctx context.Context, in *UserPolicyNameInput) (*GetUserPolicyOutput, error) {
			p, err := h.svc.GetUserPolicy(ctx, in.UserName, in.PolicyName)
			if err != nil {
				return nil, err
			}
			return &GetUserPolicyOutput{UserName: p.EntityName, PolicyName: p.Name, PolicyDocument: policyDocOut(p.Document)}, nil
		}),
		protocol.Op("GetGroupPolicy", func(ctx context.Context, in *GroupPolicyNameInput) (*GetGroupPolicyOutput, error) {
			p, err := h.svc.GetGroupPolicy(ctx, in.GroupName, in.PolicyName)
			if err != nil {
				return nil, err
			}
			return &GetGroupPolicyOutput{GroupName: p.EntityName, PolicyName: p.Name, PolicyDocument: policyDocOut(p.Document)}, nil
		}),
		protocol.Op("GetRolePolicy", func(ctx context.Context, in *RolePolicyNameInput) (*GetRolePolicyOutput, error) {
			p, err := h.svc.GetRolePolicy(ctx, in.RoleName, in.PolicyName)
			if err != nil {
				return nil, err
			}
			return &GetRolePolicyOutput{RoleName: p.EntityName, PolicyName: p.Name, PolicyDocument: policyDocOut(p.Document)}, nil
		}),
		protocol.Op("DeleteUserPolicy", func(ctx context.Context, in *UserPolicyNameInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.DeleteUserPolicy(ctx, in.UserName, in.PolicyName)
		}),
		protocol.Op("DeleteGroupPolicy", func(ctx context.Context, in *GroupPolicyNameInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.DeleteGroupPolicy(ctx, in.GroupName, in.PolicyName)
		}),
		protocol.Op("DeleteRolePolicy", func(ctx context.Context, in *RolePolicyNameInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.DeleteRolePolicy(ctx, in.RoleName, in.PolicyName)
		}),
		protocol.Op("ListUserPolicies", func(ctx context.Context, in *ListUserPoliciesInput) (*ListPolicyNamesOutput, error) {
			return listOf(ctx, h.svc.ListUserPolicies, in.UserName, in.Marker, in.MaxItems, policyNamesPage)
		}),
		protocol.Op("ListGroupPolicies", func(ctx context.Context, in *ListGroupPoliciesInput) (*ListPolicyNamesOutput, error) {
			return listOf(ctx, h.svc.ListGroupPolicies, in.GroupName, in.Marker, in.MaxItems, policyNamesPage)
		}),
		protocol.Op("ListRolePolicies", func(ctx context.Context, in *ListRolePoliciesInput) (*ListPolicyNamesOutput, error) {
			return listOf(ctx, h.svc.ListRolePolicies, in.RoleName, in.Marker, in.MaxItems, policyNamesPage)
		}),
	)
}

// PutUserPolicyInput is PutUserPolicyRequest.
type PutUserPolicyInput struct {
	UserName       string `query:",required"`
	PolicyName     string `query:",required"`
	PolicyDocument string `query:",required"`
}

// PutGroupPolicyInput is PutGroupPolicyRequest.
type PutGroupPolicyInput struct {
	GroupName      string `query:",required"`
	PolicyName     string `query:",required"`
	PolicyDocument string `query:",required"`
}

// PutRolePolicyInput is PutRolePolicyRequest.
type PutRolePolicyInput struct {
	RoleName       string `query:",required"`
	PolicyName     string `query:",required"`
	PolicyDocument string `query:",required"`
}

// UserPolicyNameInput is GetUserPolicyRequest and DeleteUserPolicyRequest.
type UserPolicyNameInput struct {
	UserName   string `query:",required"`
	PolicyName string `query:",required"`
}

// GroupPolicyNameInput is GetGroupPolicyRequest and DeleteGroupPolicyRequest.
type GroupPolicyNameInput struct {
	GroupName  string `query:",required"`
	PolicyName string `query:",required"`
}

// RolePolicyNameInput is GetRolePolicyRequest and DeleteRolePolicyRequest.
type RolePolicyNameInput struct {
	RoleName   string `query:",required"`
	PolicyName string `query:",required"`
}

// GetUserPolicyOutput is GetUserPolicyResponse.
type GetUserPolicyOutput struct {
	UserName       string `xml:"UserName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

// GetGroupPolicyOutput is GetGroupPolicyResponse.
type GetGroupPolicyOutput struct {
	GroupName      string `xml:"GroupName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

// GetRolePolicyOutput is GetRolePolicyResponse.
type GetRolePolicyOutput struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

// ListUserPoliciesInput is ListUserPoliciesRequest.
type ListUserPoliciesInput struct {
	UserName string  `query:",required"`
	Marker   *string `query:"Marker"`
	MaxItems *int32  `query:"MaxItems"`
}

// ListGroupPoliciesInput is ListGroupPoliciesRequest.
type ListGroupPoliciesInput struct {
	GroupName string  `query:",required"`
	Marker    *string `query:"Marker"`
	MaxItems  *int32  `query:"MaxItems"`
}

// ListRolePoliciesInput is ListRolePoliciesRequest.
type ListRolePoliciesInput struct {
	RoleName string  `query:",required"`
	Marker   *string `query:"Marker"`
	MaxItems *int32  `query:"MaxItems"`
}

// ListPolicyNamesOutput is List{User,Group,Role}PoliciesResponse.
type ListPolicyNamesOutput struct {
	PolicyNames []string `xml:"PolicyNames>member"`
	IsTruncated bool     `xml:"IsTruncated"`
	Marker      string   `xml:"Marker,omitempty"`
}

func policyNamesPage(l iam.Listing[string]) *ListPolicyNamesOutput {
	return &ListPolicyNamesOutput{PolicyNames: append([]string{}, l.Items...), IsTruncated: l.IsTruncated, Marker: l.Marker}
}
