package iam

import (
	"context"

	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/iam"
)

// registerRoles adds the role, instance profile and account alias
// operations (part of registerEntities).
func (h handlers) registerRoles(s *protocol.Service) {
	s.Register(
		protocol.Op("CreateRole", h.createRole),
		protocol.Op("GetRole", h.getRole),
		protocol.Op("ListRoles", h.listRoles),
		protocol.Op("UpdateRole", h.updateRole),
		protocol.Op("UpdateRoleDescription", h.updateRoleDescription),
		protocol.Op("UpdateAssumeRolePolicy", h.updateAssumeRolePolicy),
		protocol.Op("DeleteRole", h.deleteRole),
		protocol.Op("TagRole", h.tagRole),
		protocol.Op("UntagRole", h.untagRole),
		protocol.Op("ListRoleTags", h.listRoleTags),

		protocol.Op("CreateInstanceProfile", h.createInstanceProfile),
		protocol.Op("GetInstanceProfile", h.getInstanceProfile),
		protocol.Op("ListInstanceProfiles", h.listInstanceProfiles),
		protocol.Op("ListInstanceProfilesForRole", h.listInstanceProfilesForRole),
		protocol.Op("AddRoleToInstanceProfile", h.addRoleToInstanceProfile),
		protocol.Op("RemoveRoleFromInstanceProfile", h.removeRoleFromInstanceProfile),
		protocol.Op("DeleteInstanceProfile", h.deleteInstanceProfile),
		protocol.Op("TagInstanceProfile", h.tagInstanceProfile),
		protocol.Op("UntagInstanceProfile", h.untagInstanceProfile),
		protocol.Op("ListInstanceProfileTags", h.listInstanceProfileTags),

		protocol.Op("CreateAccountAlias", h.createAccountAlias),
		protocol.Op("ListAccountAliases", h.listAccountAliases),
		protocol.Op("DeleteAccountAlias", h.deleteAccountAlias),
	)
}

// ---- roles ----

// CreateRoleInput is CreateRoleRequest.
type CreateRoleInput struct {
	RoleName                 string     `query:",required"`
	Path                     *string    `query:"Path"`
	AssumeRolePolicyDocument string     `query:",required"`
	Description              *string    `query:"Description"`
	MaxSessionDuration       *int32     `query:"MaxSessionDuration"`
	PermissionsBoundary      *string    `query:"PermissionsBoundary"`
	Tags                     []TagShape `query:"Tags"`
}

// RoleOutput is CreateRoleResponse, GetRoleResponse and
// UpdateRoleDescriptionResponse.
type RoleOutput struct {
	Role RoleShape `xml:"Role"`
}

func (h handlers) createRole(ctx context.Context, in *CreateRoleInput) (*RoleOutput, error) {
	var dur int32
	if in.MaxSessionDuration != nil {
		dur = *in.MaxSessionDuration
		if dur == 0 {
			dur = -1 // explicitly 0: out of range, not "unset"
		}
	}
	r, err := h.svc.CreateRole(ctx, iam.CreateRoleInput{RoleName: in.RoleName, Path: str(in.Path),
		AssumeRolePolicyDocument: in.AssumeRolePolicyDocument, Description: str(in.Description), MaxSessionDuration: dur,
		PermissionsBoundary: str(in.PermissionsBoundary), Tags: tagsIn(in.Tags)})
	if err != nil {
		return nil, err
	}
	return &RoleOutput{Role: roleOut(r, false)}, nil
}

// RoleNameInput is a request naming one role.
type RoleNameInput struct {
	RoleName string `query:",required"`
}

func (h handlers) getRole(ctx context.Context, in *RoleNameInput) (*RoleOutput, error) {
	r, err := h.svc.GetRole(ctx, in.RoleName)
	if err != nil {
		return nil, err
	}
	return &RoleOutput{Role: roleOut(r, true)}, nil
}

// ListRolesOutput is ListRolesResponse.
type ListRolesOutput struct {
	Roles       []RoleShape `xml:"Roles>member"`
	IsTruncated bool        `xml:"IsTruncated"`
	Marker      string      `xml:"Marker,omitempty"`
}

func (h handlers) listRoles(ctx context.Context, in *ListInput) (*ListRolesOutput, error) {
	return listOf(ctx, h.svc.ListRoles, str(in.PathPrefix), in.Marker, in.MaxItems, func(l iam.Listing[iam.RoleEntity]) *ListRolesOutput {
		return &ListRolesOutput{Roles: rolesOut(l.Items), IsTruncated: l.IsTruncated, Marker: l.Marker}
	})
}

// UpdateRoleInput is UpdateRoleRequest.
type UpdateRoleInput struct {
	RoleName           string  `query:",required"`
	Description        *string `query:"Description"`
	MaxSessionDuration *int32  `query:"MaxSessionDuration"`
}

func (h handlers) updateRole(ctx context.Context, in *UpdateRoleInput) (*EmptyResult, error) {
	return &EmptyResult{}, h.svc.UpdateRole(ctx, iam.UpdateRoleInput{RoleName: in.RoleName, Description: in.Description,
		MaxSessionDuration: in.MaxSessionDuration})
}

// UpdateRoleDescriptionInput is UpdateRoleDescriptionRequest.
type UpdateRoleDescriptionInput struct {
	RoleName    string `query:",required"`
	Description string `query:",required"`
}

func (h handlers) updateRoleDescription(ctx context.Context, in *UpdateRoleDescriptionInput) (*RoleOutput, error) {
	r, err := h.svc.UpdateRoleDescription(ctx, in.RoleName, in.Description)
	if err != nil {
		return nil, err
	}
	return &RoleOutput{Role: roleOut(r, true)}, nil
}

// UpdateAssumeRolePolicyInput is UpdateAssumeRolePolicyRequest.
type UpdateAssumeRolePolicyInput struct {
	RoleName       string `query:",required"`
	PolicyDocument string `query:",required"`
}

func (h handlers) updateAssumeRolePolicy(ctx context.Context, in *UpdateAssumeRolePolicyInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.UpdateAssumeRolePolicy(ctx, in.RoleName, in.PolicyDocument)
}

func (h handlers) deleteRole(ctx context.Context, in *RoleNameInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.DeleteRole(ctx, in.RoleName)
}

// TagRoleInput is TagRoleRequest.
type TagRoleInput struct {
	RoleName string     `query:",required"`
	Tags     []TagShape `query:",required"`
}

func (h handlers) tagRole(ctx context.Context, in *TagRoleInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.TagRole(ctx, in.RoleName, tagsIn(in.Tags))
}

// UntagRoleInput is UntagRoleRequest.
type UntagRoleInput struct {
	RoleName string   `query:",required"`
	TagKeys  []string `query:",required"`
}

func (h handlers) untagRole(ctx context.Context, in *UntagRoleInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.UntagRole(ctx, in.RoleName, in.TagKeys)
}

// ListRoleTagsInput is ListRoleTagsRequest (and ListInstanceProfilesForRoleRequest).
type ListRoleTagsInput struct {
	RoleName string  `query:",required"`
	Marker   *string `query:"Marker"`
	MaxItems *int32  `query:"MaxItems"`
}

func (h handlers) listRoleTags(ctx context.Context, in *ListRoleTagsInput) (*ListTagsOutput, error) {
	return listOf(ctx, h.svc.ListRoleTags, in.RoleName, in.Marker, in.MaxItems, tagsPage)
}

// ---- instance profiles ----

// CreateInstanceProfileInput is CreateInstanceProfileRequest.
type CreateInstanceProfileInput struct {
	InstanceProfileName string     `query:",required"`
	Path                *string    `query:"Path"`
	Tags                []TagShape `query:"Tags"`
}

// InstanceProfileOutput is CreateInstanceProfileResponse and
// GetInstanceProfileResponse.
type InstanceProfileOutput struct {
	InstanceProfile InstanceProfileShape `xml:"InstanceProfile"`
}

func (h handlers) createInstanceProfile(ctx context.Context, in *CreateInstanceProfileInput) (*InstanceProfileOutput, error) {
	p, err := h.svc.CreateInstanceProfile(ctx, in.InstanceProfileName, str(in.Path), tagsIn(in.Tags))
	if err != nil {
		return nil, err
	}
	return &InstanceProfileOutput{InstanceProfile: profileOut(p)}, nil
}

// InstanceProfileNameInput is a request naming one instance profile.
type InstanceProfileNameInput struct {
	InstanceProfileName string `query:",required"`
}

func (h handlers) getInstanceProfile(ctx context.Context, in *InstanceProfileNameInput) (*InstanceProfileOutput, error) {
	p, err := h.svc.GetInstanceProfile(ctx, in.InstanceProfileName)
	if err != nil {
		return nil, err
	}
	return &InstanceProfileOutput{InstanceProfile: profileOut(p)}, nil
}

// ListInstanceProfilesOutput is ListInstanceProfilesResponse and
// ListInstanceProfilesForRoleResponse.
type ListInstanceProfilesOutput struct {
	InstanceProfiles []InstanceProfileShape `xml:"InstanceProfiles>member"`
	IsTruncated      bool                   `xml:"IsTruncated"`
	Marker           string                 `xml:"Marker,omitempty"`
}

func profilesPage(l iam.Listing[iam.InstanceProfile]) *ListInstanceProfilesOutput {
	return &ListInstanceProfilesOutput{InstanceProfiles: profilesOut(l.Items), IsTruncated: l.IsTruncated, Marker: l.Marker}
}

func (h handlers) listInstanceProfiles(ctx context.Context, in *ListInput) (*ListInstanceProfilesOutput, error) {
	return listOf(ctx, h.svc.ListInstanceProfiles, str(in.PathPrefix), in.Marker, in.MaxItems, profilesPage)
}

func (h handlers) listInstanceProfilesForRole(ctx context.Context, in *ListRoleTagsInput) (*ListInstanceProfilesOutput, error) {
	return listOf(ctx, h.svc.ListInstanceProfilesForRole, in.RoleName, in.Marker, in.MaxItems, profilesPage)
}

// ProfileRoleInput is AddRoleToInstanceProfileRequest and
// RemoveRoleFromInstanceProfileRequest.
type ProfileRoleInput struct {
	InstanceProfileName string `query:",required"`
	RoleName            string `query:",required"`
}

func (h handlers) addRoleToInstanceProfile(ctx context.Context, in *ProfileRoleInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.AddRoleToInstanceProfile(ctx, in.InstanceProfileName, in.RoleName)
}

func (h handlers) removeRoleFromInstanceProfile(ctx context.Context, in *ProfileRoleInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.RemoveRoleFromInstanceProfile(ctx, in.InstanceProfileName, in.RoleName)
}

func (h handlers) deleteInstanceProfile(ctx context.Context, in *InstanceProfileNameInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.DeleteInstanceProfile(ctx, in.InstanceProfileName)
}

// TagInstanceProfileInput is TagInstanceProfileRequest.
type TagInstanceProfileInput struct {
	InstanceProfileName string     `query:",required"`
	Tags                []TagShape `query:",required"`
}

func (h handlers) tagInstanceProfile(ctx context.Context, in *TagInstanceProfileInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.TagInstanceProfile(ctx, in.InstanceProfileName, tagsIn(in.Tags))
}

// UntagInstanceProfileInput is UntagInstanceProfileRequest.
type UntagInstanceProfileInput struct {
	InstanceProfileName string   `query:",required"`
	TagKeys             []string `query:",required"`
}

func (h handlers) untagInstanceProfile(ctx context.Context, in *UntagInstanceProfileInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.UntagInstanceProfile(ctx, in.InstanceProfileName, in.TagKeys)
}

// ListInstanceProfileTagsInput is ListInstanceProfileTagsRequest.
type ListInstanceProfileTagsInput struct {
	InstanceProfileName string  `query:",required"`
	Marker              *string `query:"Marker"`
	MaxItems            *int32  `query:"MaxItems"`
}

func (h handlers) listInstanceProfileTags(ctx context.Context, in *ListInstanceProfileTagsInput) (*ListTagsOutput, error) {
	return listOf(ctx, h.svc.ListInstanceProfileTags, in.InstanceProfileName, in.Marker, in.MaxItems, tagsPage)
}

// ---- account alias ----

// AccountAliasInput is CreateAccountAliasRequest and DeleteAccountAliasRequest.
type AccountAliasInput struct {
	AccountAlias string `query:",required"`
}

func (h handlers) createAccountAlias(ctx context.Context, in *AccountAliasInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.CreateAccountAlias(ctx, in.AccountAlias)
}

func (h handlers) deleteAccountAlias(ctx context.Context, in *AccountAliasInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.DeleteAccountAlias(ctx, in.AccountAlias)
}

// ListAccountAliasesInput is ListAccountAliasesRequest.
type ListAccountAliasesInput struct {
	Marker   *string `query:"Marker"`
	MaxItems *int32  `query:"MaxItems"`
}

// ListAccountAliasesOutput is ListAccountAliasesResponse.
type ListAccountAliasesOutput struct {
	AccountAliases []string `xml:"AccountAliases>member"`
	IsTruncated    bool     `xml:"IsTruncated"`
	Marker         string   `xml:"Marker,omitempty"`
}

func (h handlers) listAccountAliases(ctx context.Context, in *ListAccountAliasesInput) (*ListAccountAliasesOutput, error) {
	page, err := pageIn(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	l, err := h.svc.ListAccountAliases(ctx, page)
	if err != nil {
		return nil, err
	}
	return &ListAccountAliasesOutput{AccountAliases: l.Items, IsTruncated: l.IsTruncated, Marker: l.Marker}, nil
}
