package iam

import (
	"context"

	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/iam"
)

// registerAttachments adds Attach/Detach/ListAttached*Policies and the
// permissions boundary operations.
func (h handlers) registerAttachments(s *protocol.Service) {
	s.Register(
		protocol.Op("AttachUserPolicy", func(ctx context.Context, in *UserPolicyArnInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.AttachUserPolicy(ctx, in.UserName, in.PolicyArn)
		}),
		protocol.Op("DetachUserPolicy", func(ctx context.Context, in *UserPolicyArnInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.DetachUserPolicy(ctx, in.UserName, in.PolicyArn)
		}),
		protocol.Op("AttachGroupPolicy", func(ctx context.Context, in *GroupPolicyArnInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.AttachGroupPolicy(ctx, in.GroupName, in.PolicyArn)
		}),
		protocol.Op("DetachGroupPolicy", func(ctx context.Context, in *GroupPolicyArnInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.DetachGroupPolicy(ctx, in.GroupName, in.PolicyArn)
		}),
		protocol.Op("AttachRolePolicy", func(ctx context.Context, in *RolePolicyArnInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.AttachRolePolicy(ctx, in.RoleName, in.PolicyArn)
		}),
		protocol.Op("DetachRolePolicy", func(ctx context.Context, in *RolePolicyArnInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.DetachRolePolicy(ctx, in.RoleName, in.PolicyArn)
		}),
		protocol.Op("ListAttachedUserPolicies", func(ctx context.Context, in *ListAttachedUserPoliciesInput) (*ListAttachedPoliciesOutput, error) {
			return listAttached(in.PathPrefix, in.Marker, in.MaxItems, func(prefix string, page iam.PageInput) (iam.Listing[iam.AttachedPolicy], error) {
				return h.svc.ListAttachedUserPolicies(ctx, in.UserName, prefix, page)
			})
		}),
		protocol.Op("ListAttachedGroupPolicies", func(ctx context.Context, in *ListAttachedGroupPoliciesInput) (*ListAttachedPoliciesOutput, error) {
			return listAttached(in.PathPrefix, in.Marker, in.MaxItems, func(prefix string, page iam.PageInput) (iam.Listing[iam.AttachedPolicy], error) {
				return h.svc.ListAttachedGroupPolicies(ctx, in.GroupName, prefix, page)
			})
		}),
		protocol.Op("ListAttachedRolePolicies", func(ctx context.Context, in *ListAttachedRolePoliciesInput) (*ListAttachedPoliciesOutput, error) {
			return listAttached(in.PathPrefix, in.Marker, in.MaxItems, func(prefix string, page iam.PageInput) (iam.Listing[iam.AttachedPolicy], error) {
				return h.svc.ListAttachedRolePolicies(ctx, in.RoleName, prefix, page)
			})
		}),
		protocol.Op("PutUserPermissionsBoundary", func(ctx context.Context, in *PutUserPermissionsBoundaryInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.PutUserPermissionsBoundary(ctx, in.UserName, in.PermissionsBoundary)
		}),
		protocol.Op("DeleteUserPermissionsBoundary", func(ctx context.Context, in *UserNameInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.DeleteUserPermissionsBoundary(ctx, in.UserName)
		}),
		protocol.Op("PutRolePermissionsBoundary", func(ctx context.Context, in *PutRolePermissionsBoundaryInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.PutRolePermissionsBoundary(ctx, in.RoleName, in.PermissionsBoundary)
		}),
		protocol.Op("DeleteRolePermissionsBoundary", func(ctx context.Context, in *RoleNameInput) (*NoOutput, error) {
			return &NoOutput{}, h.svc.DeleteRolePermissionsBoundary(ctx, in.RoleName)
		}),
	)
}

// UserPolicyArnInput is AttachUserPolicyRequest and DetachUserPolicyRequest.
type UserPolicyArnInput struct {
	UserName  string `query:",required"`
	PolicyArn string `query:",required"`
}

// GroupPolicyArnInput is AttachGroupPolicyRequest and DetachGroupPolicyRequest.
type GroupPolicyArnInput struct {
	GroupName string `query:",required"`
	PolicyArn string `query:",required"`
}

// RolePolicyArnInput is AttachRolePolicyRequest and DetachRolePolicyRequest.
type RolePolicyArnInput struct {
	RoleName  string `query:",required"`
	PolicyArn string `query:",required"`
}

// ListAttachedUserPoliciesInput is ListAttachedUserPoliciesRequest.
type ListAttachedUserPoliciesInput struct {
	UserName   string  `query:",required"`
	PathPrefix *string `query:"PathPrefix"`
	Marker     *string `query:"Marker"`
	MaxItems   *int32  `query:"MaxItems"`
}

// ListAttachedGroupPoliciesInput is ListAttachedGroupPoliciesRequest.
type ListAttachedGroupPoliciesInput struct {
	GroupName  string  `query:",required"`
	PathPrefix *string `query:"PathPrefix"`
	Marker     *string `query:"Marker"`
	MaxItems   *int32  `query:"MaxItems"`
}

// ListAttachedRolePoliciesInput is ListAttachedRolePoliciesRequest.
type ListAttachedRolePoliciesInput struct {
	RoleName   string  `query:",required"`
	PathPrefix *string `query:"PathPrefix"`
	Marker     *string `query:"Marker"`
	MaxItems   *int32  `query:"MaxItems"`
}

// ListAttachedPoliciesOutput is ListAttached{User,Group,Role}PoliciesResponse.
type ListAttachedPoliciesOutput struct {
	AttachedPolicies []AttachedPolicyShape `xml:"AttachedPolicies>member"`
	IsTruncated      bool                  `xml:"IsTruncated"`
	Marker           string                `xml:"Marker,omitempty"`
}

func listAttached(prefix, marker *string, maxItems *int32, list func(string, iam.PageInput) (iam.Listing[iam.AttachedPolicy], error)) (*ListAttachedPoliciesOutput, error) {
	page, err := pageIn(marker, maxItems)
	if err != nil {
		return nil, err
	}
	l, err := list(str(prefix), page)
	if err != nil {
		return nil, err
	}
	return &ListAttachedPoliciesOutput{AttachedPolicies: attachedOut(l.Items), IsTruncated: l.IsTruncated, Marker: l.Marker}, nil
}

// PutUserPermissionsBoundaryInput is PutUserPermissionsBoundaryRequest.
type PutUserPermissionsBoundaryInput struct {
	UserName            string `query:",required"`
	PermissionsBoundary string `query:",required"`
}

// PutRolePermissionsBoundaryInput is PutRolePermissionsBoundaryRequest.
type PutRolePermissionsBoundaryInput struct {
	RoleName            string `query:",required"`
	PermissionsBoundary string `query:",required"`
}
