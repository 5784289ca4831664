package iam

import (
	"context"

	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/iam"
)

// registerEntities adds the operations on users, groups, access keys,
// roles, instance profiles, their tags and the account alias. Roles,
// instance profiles and the alias live in ent_roles.go.
func (h handlers) registerEntities(s *protocol.Service) {
	s.Register(
		protocol.Op("CreateUser", h.createUser),
		protocol.Op("GetUser", h.getUser),
		protocol.Op("ListUsers", h.listUsers),
		protocol.Op("UpdateUser", h.updateUser),
		protocol.Op("DeleteUser", h.deleteUser),
		protocol.Op("TagUser", h.tagUser),
		protocol.Op("UntagUser", h.untagUser),
		protocol.Op("ListUserTags", h.listUserTags),

		protocol.Op("CreateAccessKey", h.createAccessKey),
		protocol.Op("ListAccessKeys", h.listAccessKeys),
		protocol.Op("UpdateAccessKey", h.updateAccessKey),
		protocol.Op("DeleteAccessKey", h.deleteAccessKey),
		protocol.Op("GetAccessKeyLastUsed", h.getAccessKeyLastUsed),

		protocol.Op("CreateGroup", h.createGroup),
		protocol.Op("GetGroup", h.getGroup),
		protocol.Op("ListGroups", h.listGroups),
		protocol.Op("UpdateGroup", h.updateGroup),
		protocol.Op("AddUserToGroup", h.addUserToGroup),
		protocol.Op("RemoveUserFromGroup", h.removeUserFromGroup),
		protocol.Op("ListGroupsForUser", h.listGroupsForUser),
		protocol.Op("DeleteGroup", h.deleteGroup),
	)
	h.registerRoles(s)
}

// ---- users ----

// CreateUserInput is CreateUserRequest.
type CreateUserInput struct {
	UserName            string     `query:",required"`
	Path                *string    `query:"Path"`
	PermissionsBoundary *string    `query:"PermissionsBoundary"`
	Tags                []TagShape `query:"Tags"`
}

// UserOutput is the result of CreateUser and GetUser.
type UserOutput struct {
	User UserShape `xml:"User"`
}

func (h handlers) createUser(ctx context.Context, in *CreateUserInput) (*UserOutput, error) {
	u, err := h.svc.CreateUser(ctx, iam.CreateUserInput{UserName: in.UserName, Path: str(in.Path),
		PermissionsBoundary: str(in.PermissionsBoundary), Tags: tagsIn(in.Tags)})
	if err != nil {
		return nil, err
	}
	return &UserOutput{User: userOut(u)}, nil
}

// GetUserInput is GetUserRequest; without UserName it describes the caller.
type GetUserInput struct {
	UserName *string `query:"UserName"`
}

func (h handlers) getUser(ctx context.Context, in *GetUserInput) (*UserOutput, error) {
	u, err := h.svc.GetUser(ctx, str(in.UserName))
	if err != nil {
		return nil, err
	}
	return &UserOutput{User: userOut(u)}, nil
}

// ListInput is the request of the list operations filtered by path.
type ListInput struct {
	PathPrefix *string `query:"PathPrefix"`
	Marker     *string `query:"Marker"`
	MaxItems   *int32  `query:"MaxItems"`
}

// ListUsersOutput is ListUsersResponse.
type ListUsersOutput struct {
	Users       []UserShape `xml:"Users>member"`
	IsTruncated bool        `xml:"IsTruncated"`
	Marker      string      `xml:"Marker,omitempty"`
}

func (h handlers) listUsers(ctx context.Context, in *ListInput) (*ListUsersOutput, error) {
	return listOf(ctx, h.svc.ListUsers, str(in.PathPrefix), in.Marker, in.MaxItems, func(l iam.Listing[iam.User]) *ListUsersOutput {
		return &ListUsersOutput{Users: usersOut(l.Items), IsTruncated: l.IsTruncated, Marker: l.Marker}
	})
}

// UpdateUserInput is UpdateUserRequest.
type UpdateUserInput struct {
	UserName    string  `query:",required"`
	NewPath     *string `query:"NewPath"`
	NewUserName *string `query:"NewUserName"`
}

func (h handlers) updateUser(ctx context.Context, in *UpdateUserInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.UpdateUser(ctx, iam.UpdateUserInput{UserName: in.UserName, NewUserName: in.NewUserName, NewPath: in.NewPath})
}

// UserNameInput is a request naming one user.
type UserNameInput struct {
	UserName string `query:",required"`
}

func (h handlers) deleteUser(ctx context.Context, in *UserNameInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.DeleteUser(ctx, in.UserName)
}

// TagUserInput is TagUserRequest.
type TagUserInput struct {
	UserName string     `query:",required"`
	Tags     []TagShape `query:",required"`
}

func (h handlers) tagUser(ctx context.Context, in *TagUserInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.TagUser(ctx, in.UserName, tagsIn(in.Tags))
}

// UntagUserInput is UntagUserRequest.
type UntagUserInput struct {
	UserName string   `query:",required"`
	TagKeys  []string `query:",required"`
}

func (h handlers) untagUser(ctx context.Context, in *UntagUserInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.UntagUser(ctx, in.UserName, in.TagKeys)
}

// ListUserTagsInput is ListUserTagsRequest.
type ListUserTagsInput struct {
	UserName string  `query:",required"`
	Marker   *string `query:"Marker"`
	MaxItems *int32  `query:"MaxItems"`
}

// ListTagsOutput is the response of the List*Tags operations.
type ListTagsOutput struct {
	Tags        []TagShape `xml:"Tags>member"`
	IsTruncated bool       `xml:"IsTruncated"`
	Marker      string     `xml:"Marker,omitempty"`
}

func (h handlers) listUserTags(ctx context.Context, in *ListUserTagsInput) (*ListTagsOutput, error) {
	return listOf(ctx, h.svc.ListUserTags, in.UserName, in.Marker, in.MaxItems, tagsPage)
}

func tagsPage(l iam.Listing[iam.Tag]) *ListTagsOutput {
	return &ListTagsOutput{Tags: tagsOut(l.Items), IsTruncated: l.IsTruncated, Marker: l.Marker}
}

// ---- access keys ----

// OptionalUserInput is a request whose UserName defaults to the caller.
type OptionalUserInput struct {
	UserName *string `query:"UserName"`
	Marker   *string `query:"Marker"`
	MaxItems *int32  `query:"MaxItems"`
}

// CreateAccessKeyOutput is CreateAccessKeyResponse.
type CreateAccessKeyOutput struct {
	AccessKey AccessKeyShape `xml:"AccessKey"`
}

func (h handlers) createAccessKey(ctx context.Context, in *OptionalUserInput) (*CreateAccessKeyOutput, error) {
	k, err := h.svc.CreateAccessKey(ctx, str(in.UserName))
	if err != nil {
		return nil, err
	}
	return &CreateAccessKeyOutput{AccessKey: AccessKeyShape{UserName: k.UserName, AccessKeyId: k.AccessKeyID, Status: k.Status,
		SecretAccessKey: k.Secret, CreateDate: protocol.NewTime(k.CreatedAt)}}, nil
}

// ListAccessKeysOutput is ListAccessKeysResponse.
type ListAccessKeysOutput struct {
	AccessKeyMetadata []AccessKeyMetadataShape `xml:"AccessKeyMetadata>member"`
	IsTruncated       bool                     `xml:"IsTruncated"`
	Marker            string                   `xml:"Marker,omitempty"`
}

func (h handlers) listAccessKeys(ctx context.Context, in *OptionalUserInput) (*ListAccessKeysOutput, error) {
	return listOf(ctx, h.svc.ListAccessKeys, str(in.UserName), in.Marker, in.MaxItems, func(l iam.Listing[iam.AccessKey]) *ListAccessKeysOutput {
		out := &ListAccessKeysOutput{AccessKeyMetadata: make([]AccessKeyMetadataShape, len(l.Items)), IsTruncated: l.IsTruncated, Marker: l.Marker}
		for i, k := range l.Items {
			out.AccessKeyMetadata[i] = AccessKeyMetadataShape{UserName: k.UserName, AccessKeyId: k.AccessKeyID, Status: k.Status,
				CreateDate: protocol.NewTime(k.CreatedAt)}
		}
		return out
	})
}

// UpdateAccessKeyInput is UpdateAccessKeyRequest.
type UpdateAccessKeyInput struct {
	UserName    *string `query:"UserName"`
	AccessKeyId string  `query:",required"`
	Status      string  `query:",required"`
}

func (h handlers) updateAccessKey(ctx context.Context, in *UpdateAccessKeyInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.UpdateAccessKey(ctx, str(in.UserName), in.AccessKeyId, in.Status)
}

// DeleteAccessKeyInput is DeleteAccessKeyRequest.
type DeleteAccessKeyInput struct {
	UserName    *string `query:"UserName"`
	AccessKeyId string  `query:",required"`
}

func (h handlers) deleteAccessKey(ctx context.Context, in *DeleteAccessKeyInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.DeleteAccessKey(ctx, str(in.UserName), in.AccessKeyId)
}

// GetAccessKeyLastUsedInput is GetAccessKeyLastUsedRequest.
type GetAccessKeyLastUsedInput struct {
	AccessKeyId string `query:",required"`
}

// GetAccessKeyLastUsedOutput is GetAccessKeyLastUsedResponse.
type GetAccessKeyLastUsedOutput struct {
	UserName          string                 `xml:"UserName,omitempty"`
	AccessKeyLastUsed AccessKeyLastUsedShape `xml:"AccessKeyLastUsed"`
}

func (h handlers) getAccessKeyLastUsed(ctx context.Context, in *GetAccessKeyLastUsedInput) (*GetAccessKeyLastUsedOutput, error) {
	u, err := h.svc.GetAccessKeyLastUsed(ctx, in.AccessKeyId)
	if err != nil {
		return nil, err
	}
	out := &GetAccessKeyLastUsedOutput{UserName: u.UserName, AccessKeyLastUsed: AccessKeyLastUsedShape{ServiceName: u.ServiceName, Region: u.Region}}
	if u.LastUsed != nil {
		t := protocol.NewTime(*u.LastUsed)
		out.AccessKeyLastUsed.LastUsedDate = &t
	}
	return out, nil
}

// ---- groups ----

// CreateGroupInput is CreateGroupRequest.
type CreateGroupInput struct {
	GroupName string  `query:",required"`
	Path      *string `query:"Path"`
}

// GroupOutput is CreateGroupResponse.
type GroupOutput struct {
	Group GroupShape `xml:"Group"`
}

func (h handlers) createGroup(ctx context.Context, in *CreateGroupInput) (*GroupOutput, error) {
	g, err := h.svc.CreateGroup(ctx, in.GroupName, str(in.Path))
	if err != nil {
		return nil, err
	}
	return &GroupOutput{Group: groupOut(g)}, nil
}

// GetGroupInput is GetGroupRequest.
type GetGroupInput struct {
	GroupName string  `query:",required"`
	Marker    *string `query:"Marker"`
	MaxItems  *int32  `query:"MaxItems"`
}

// GetGroupOutput is GetGroupResponse.
type GetGroupOutput struct {
	Group       GroupShape  `xml:"Group"`
	Users       []UserShape `xml:"Users>member"`
	IsTruncated bool        `xml:"IsTruncated"`
	Marker      string      `xml:"Marker,omitempty"`
}

func (h handlers) getGroup(ctx context.Context, in *GetGroupInput) (*GetGroupOutput, error) {
	page, err := pageIn(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	g, users, err := h.svc.GetGroup(ctx, in.GroupName, page)
	if err != nil {
		return nil, err
	}
	return &GetGroupOutput{Group: groupOut(g), Users: usersOut(users.Items), IsTruncated: users.IsTruncated, Marker: users.Marker}, nil
}

// ListGroupsOutput is ListGroupsResponse and ListGroupsForUserResponse.
type ListGroupsOutput struct {
	Groups      []GroupShape `xml:"Groups>member"`
	IsTruncated bool         `xml:"IsTruncated"`
	Marker      string       `xml:"Marker,omitempty"`
}

func (h handlers) listGroups(ctx context.Context, in *ListInput) (*ListGroupsOutput, error) {
	return listOf(ctx, h.svc.ListGroups, str(in.PathPrefix), in.Marker, in.MaxItems, groupsPage)
}

func groupsPage(l iam.Listing[iam.Group]) *ListGroupsOutput {
	return &ListGroupsOutput{Groups: groupsOut(l.Items), IsTruncated: l.IsTruncated, Marker: l.Marker}
}

// UpdateGroupInput is UpdateGroupRequest.
type UpdateGroupInput struct {
	GroupName    string  `query:",required"`
	NewPath      *string `query:"NewPath"`
	NewGroupName *string `query:"NewGroupName"`
}

func (h handlers) updateGroup(ctx context.Context, in *UpdateGroupInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.UpdateGroup(ctx, iam.UpdateGroupInput{GroupName: in.GroupName, NewGroupName: in.NewGroupName, NewPath: in.NewPath})
}

// GroupMemberInput is AddUserToGroupRequest and RemoveUserFromGroupRequest.
type GroupMemberInput struct {
	GroupName string `query:",required"`
	UserName  string `query:",required"`
}

func (h handlers) addUserToGroup(ctx context.Context, in *GroupMemberInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.AddUserToGroup(ctx, in.GroupName, in.UserName)
}

func (h handlers) removeUserFromGroup(ctx context.Context, in *GroupMemberInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.RemoveUserFromGroup(ctx, in.GroupName, in.UserName)
}

// ListGroupsForUserInput is ListGroupsForUserRequest.
type ListGroupsForUserInput struct {
	UserName string  `query:",required"`
	Marker   *string `query:"Marker"`
	MaxItems *int32  `query:"MaxItems"`
}

func (h handlers) listGroupsForUser(ctx context.Context, in *ListGroupsForUserInput) (*ListGroupsOutput, error) {
	return listOf(ctx, h.svc.ListGroupsForUser, in.UserName, in.Marker, in.MaxItems, groupsPage)
}

// GroupNameInput is a request naming one group.
type GroupNameInput struct {
	GroupName string `query:",required"`
}

func (h handlers) deleteGroup(ctx context.Context, in *GroupNameInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.DeleteGroup(ctx, in.GroupName)
}
