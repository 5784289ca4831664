package iam

import (
	"context"
	"fmt"

	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/iam"
)

// registerPolicies adds managed and inline policies, attachments,
// permissions boundaries, account details and the policy simulator.
func (h handlers) registerPolicies(s *protocol.Service) {
	s.Register(
		protocol.Op("CreatePolicy", h.createPolicy),
		protocol.Op("GetPolicy", h.getPolicy),
		protocol.Op("DeletePolicy", h.deletePolicy),
		protocol.Op("ListPolicies", h.listPolicies),
		protocol.Op("GetPolicyVersion", h.getPolicyVersion),
		protocol.Op("CreatePolicyVersion", h.createPolicyVersion),
		protocol.Op("DeletePolicyVersion", h.deletePolicyVersion),
		protocol.Op("SetDefaultPolicyVersion", h.setDefaultPolicyVersion),
		protocol.Op("ListPolicyVersions", h.listPolicyVersions),
		protocol.Op("TagPolicy", h.tagPolicy),
		protocol.Op("UntagPolicy", h.untagPolicy),
		protocol.Op("ListPolicyTags", h.listPolicyTags),
		protocol.Op("ListEntitiesForPolicy", h.listEntitiesForPolicy),
		protocol.Op("GetAccountAuthorizationDetails", h.getAccountAuthorizationDetails),
		protocol.Op("GetAccountSummary", h.getAccountSummary),
		protocol.Op("SimulatePrincipalPolicy", h.simulatePrincipalPolicy),
		protocol.Op("SimulateCustomPolicy", h.simulateCustomPolicy),
	)
	h.registerAttachments(s)
	h.registerInline(s)
}

// ---- customer and AWS managed policies ----

// CreatePolicyInput is CreatePolicyRequest.
type CreatePolicyInput struct {
	PolicyName     string     `query:",required"`
	Path           *string    `query:"Path"`
	PolicyDocument string     `query:",required"`
	Description    *string    `query:"Description"`
	Tags           []TagShape `query:"Tags"`
}

// PolicyOutput is CreatePolicyResponse and GetPolicyResponse.
type PolicyOutput struct {
	Policy PolicyShape `xml:"Policy"`
}

func (h handlers) createPolicy(ctx context.Context, in *CreatePolicyInput) (*PolicyOutput, error) {
	p, err := h.svc.CreatePolicy(ctx, iam.CreatePolicyInput{Name: in.PolicyName, Path: str(in.Path), Document: in.PolicyDocument,
		Description: str(in.Description), Tags: tagsIn(in.Tags)})
	if err != nil {
		return nil, err
	}
	return &PolicyOutput{Policy: policyOut(p)}, nil
}

// PolicyArnInput is a request naming one managed policy.
type PolicyArnInput struct {
	PolicyArn string `query:",required"`
}

func (h handlers) getPolicy(ctx context.Context, in *PolicyArnInput) (*PolicyOutput, error) {
	p, err := h.svc.GetPolicy(ctx, in.PolicyArn)
	if err != nil {
		return nil, err
	}
	return &PolicyOutput{Policy: policyOut(p)}, nil
}

func (h handlers) deletePolicy(ctx context.Context, in *PolicyArnInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.DeletePolicy(ctx, in.PolicyArn)
}

// ListPoliciesInput is ListPoliciesRequest.
type ListPoliciesInput struct {
	Scope             *string `query:"Scope"`
	OnlyAttached      *bool   `query:"OnlyAttached"`
	PathPrefix        *string `query:"PathPrefix"`
	PolicyUsageFilter *string `query:"PolicyUsageFilter"`
	Marker            *string `query:"Marker"`
	MaxItems          *int32  `query:"MaxItems"`
}

// ListPoliciesOutput is ListPoliciesResponse.
type ListPoliciesOutput struct {
	Policies    []PolicyShape `xml:"Policies>member"`
	IsTruncated bool          `xml:"IsTruncated"`
	Marker      string        `xml:"Marker,omitempty"`
}

func (h handlers) listPolicies(ctx context.Context, in *ListPoliciesInput) (*ListPoliciesOutput, error) {
	page, err := pageIn(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	l, err := h.svc.ListPolicies(ctx, iam.ListPoliciesInput{Scope: str(in.Scope), OnlyAttached: in.OnlyAttached != nil && *in.OnlyAttached,
		PathPrefix: str(in.PathPrefix), UsageFilter: str(in.PolicyUsageFilter), Page: page})
	if err != nil {
		return nil, err
	}
	out := &ListPoliciesOutput{Policies: make([]PolicyShape, len(l.Items)), IsTruncated: l.IsTruncated, Marker: l.Marker}
	for i, p := range l.Items {
		p.Tags = nil // ListPolicies does not return tags
		out.Policies[i] = policyOut(p)
	}
	return out, nil
}

// ---- versions ----

// PolicyVersionInput is a request naming one policy version.
type PolicyVersionInput struct {
	PolicyArn string `query:",required"`
	VersionId string `query:",required"`
}

// PolicyVersionOutput is GetPolicyVersionResponse and CreatePolicyVersionResponse.
type PolicyVersionOutput struct {
	PolicyVersion PolicyVersionShape `xml:"PolicyVersion"`
}

func (h handlers) getPolicyVersion(ctx context.Context, in *PolicyVersionInput) (*PolicyVersionOutput, error) {
	v, err := h.svc.GetPolicyVersion(ctx, in.PolicyArn, in.VersionId)
	if err != nil {
		return nil, err
	}
	return &PolicyVersionOutput{PolicyVersion: versionOut(v, true)}, nil
}

// CreatePolicyVersionInput is CreatePolicyVersionRequest.
type CreatePolicyVersionInput struct {
	PolicyArn      string `query:",required"`
	PolicyDocument string `query:",required"`
	SetAsDefault   *bool  `query:"SetAsDefault"`
}

func (h handlers) createPolicyVersion(ctx context.Context, in *CreatePolicyVersionInput) (*PolicyVersionOutput, error) {
	v, err := h.svc.CreatePolicyVersion(ctx, in.PolicyArn, in.PolicyDocument, in.SetAsDefault != nil && *in.SetAsDefault)
	if err != nil {
		return nil, err
	}
	return &PolicyVersionOutput{PolicyVersion: versionOut(v, false)}, nil
}

func (h handlers) deletePolicyVersion(ctx context.Context, in *PolicyVersionInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.DeletePolicyVersion(ctx, in.PolicyArn, in.VersionId)
}

func (h handlers) setDefaultPolicyVersion(ctx context.Context, in *PolicyVersionInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.SetDefaultPolicyVersion(ctx, in.PolicyArn, in.VersionId)
}

// PolicyListInput is a paginated request about one managed policy.
type PolicyListInput struct {
	PolicyArn string  `query:",required"`
	Marker    *string `query:"Marker"`
	MaxItems  *int32  `query:"MaxItems"`
}

// ListPolicyVersionsOutput is ListPolicyVersionsResponse.
type ListPolicyVersionsOutput struct {
	Versions    []PolicyVersionShape `xml:"Versions>member"`
	IsTruncated bool                 `xml:"IsTruncated"`
	Marker      string               `xml:"Marker,omitempty"`
}

func (h handlers) listPolicyVersions(ctx context.Context, in *PolicyListInput) (*ListPolicyVersionsOutput, error) {
	return listOf(ctx, h.svc.ListPolicyVersions, in.PolicyArn, in.Marker, in.MaxItems, func(l iam.Listing[iam.PolicyVersion]) *ListPolicyVersionsOutput {
		out := &ListPolicyVersionsOutput{Versions: make([]PolicyVersionShape, len(l.Items)), IsTruncated: l.IsTruncated, Marker: l.Marker}
		for i, v := range l.Items {
			out.Versions[i] = versionOut(v, false)
		}
		return out
	})
}

// ---- tags ----

// TagPolicyInput is TagPolicyRequest.
type TagPolicyInput struct {
	PolicyArn string     `query:",required"`
	Tags      []TagShape `query:",required"`
}

func (h handlers) tagPolicy(ctx context.Context, in *TagPolicyInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.TagPolicy(ctx, in.PolicyArn, tagsIn(in.Tags))
}

// UntagPolicyInput is UntagPolicyRequest.
type UntagPolicyInput struct {
	PolicyArn string   `query:",required"`
	TagKeys   []string `query:",required"`
}

func (h handlers) untagPolicy(ctx context.Context, in *UntagPolicyInput) (*NoOutput, error) {
	return &NoOutput{}, h.svc.UntagPolicy(ctx, in.PolicyArn, in.TagKeys)
}

func (h handlers) listPolicyTags(ctx context.Context, in *PolicyListInput) (*ListTagsOutput, error) {
	return listOf(ctx, h.svc.ListPolicyTags, in.PolicyArn, in.Marker, in.MaxItems, func(l iam.Listing[iam.Tag]) *ListTagsOutput {
		out := tagsPage(l)
		if out.Tags == nil {
			out.Tags = []TagShape{}
		}
		return out
	})
}

// ---- entities, details, summary ----

// ListEntitiesForPolicyInput is ListEntitiesForPolicyRequest.
type ListEntitiesForPolicyInput struct {
	PolicyArn         string  `query:",required"`
	EntityFilter      *string `query:"EntityFilter"`
	PathPrefix        *string `query:"PathPrefix"`
	PolicyUsageFilter *string `query:"PolicyUsageFilter"`
	Marker            *string `query:"Marker"`
	MaxItems          *int32  `query:"MaxItems"`
}

// PolicyGroupShape, PolicyUserShape and PolicyRoleShape name entities
// using a policy.
type (
	PolicyGroupShape struct {
		GroupName string `xml:"GroupName"`
		GroupId   string `xml:"GroupId"`
	}
	PolicyUserShape struct {
		UserName string `xml:"UserName"`
		UserId   string `xml:"UserId"`
	}
	PolicyRoleShape struct {
		RoleName string `xml:"RoleName"`
		RoleId   string `xml:"RoleId"`
	}
)

// ListEntitiesForPolicyOutput is ListEntitiesForPolicyResponse.
type ListEntitiesForPolicyOutput struct {
	PolicyGroups []PolicyGroupShape `xml:"PolicyGroups>member"`
	PolicyUsers  []PolicyUserShape  `xml:"PolicyUsers>member"`
	PolicyRoles  []PolicyRoleShape  `xml:"PolicyRoles>member"`
	IsTruncated  bool               `xml:"IsTruncated"`
	Marker       string             `xml:"Marker,omitempty"`
}

func (h handlers) listEntitiesForPolicy(ctx context.Context, in *ListEntitiesForPolicyInput) (*ListEntitiesForPolicyOutput, error) {
	page, err := pageIn(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	l, err := h.svc.ListEntitiesForPolicy(ctx, iam.ListEntitiesForPolicyInput{ARN: in.PolicyArn, EntityFilter: str(in.EntityFilter),
		PathPrefix: str(in.PathPrefix), UsageFilter: str(in.PolicyUsageFilter), Page: page})
	if err != nil {
		return nil, err
	}
	out := &ListEntitiesForPolicyOutput{PolicyGroups: []PolicyGroupShape{}, PolicyUsers: []PolicyUserShape{}, PolicyRoles: []PolicyRoleShape{},
		IsTruncated: l.IsTruncated, Marker: l.Marker}
	for _, e := range l.Items {
		switch e.Kind {
		case iam.KindGroup:
			out.PolicyGroups = append(out.PolicyGroups, PolicyGroupShape{GroupName: e.Name, GroupId: e.ID})
		case iam.KindUser:
			out.PolicyUsers = append(out.PolicyUsers, PolicyUserShape{UserName: e.Name, UserId: e.ID})
		case iam.KindRole:
			out.PolicyRoles = append(out.PolicyRoles, PolicyRoleShape{RoleName: e.Name, RoleId: e.ID})
		}
	}
	return out, nil
}

// GetAccountAuthorizationDetailsInput is GetAccountAuthorizationDetailsRequest.
type GetAccountAuthorizationDetailsInput struct {
	Filter   []string `query:"Filter"`
	Marker   *string  `query:"Marker"`
	MaxItems *int32   `query:"MaxItems"`
}

// GetAccountAuthorizationDetailsOutput is GetAccountAuthorizationDetailsResponse.
type GetAccountAuthorizationDetailsOutput struct {
	UserDetailList  []UserDetailShape          `xml:"UserDetailList>member"`
	GroupDetailList []GroupDetailShape         `xml:"GroupDetailList>member"`
	RoleDetailList  []RoleDetailShape          `xml:"RoleDetailList>member"`
	Policies        []ManagedPolicyDetailShape `xml:"Policies>member"`
	IsTruncated     bool                       `xml:"IsTruncated"`
	Marker          string                     `xml:"Marker,omitempty"`
}

func (h handlers) getAccountAuthorizationDetails(ctx context.Context, in *GetAccountAuthorizationDetailsInput) (*GetAccountAuthorizationDetailsOutput, error) {
	page, err := pageIn(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	d, err := h.svc.GetAccountAuthorizationDetails(ctx, in.Filter, page)
	if err != nil {
		return nil, err
	}
	return detailsOut(d), nil
}

// GetAccountSummaryInput has no members.
type GetAccountSummaryInput struct{}

// GetAccountSummaryOutput is GetAccountSummaryResponse.
type GetAccountSummaryOutput struct {
	SummaryMap []SummaryEntryShape `xml:"SummaryMap>entry"`
}

func (h handlers) getAccountSummary(ctx context.Context, _ *GetAccountSummaryInput) (*GetAccountSummaryOutput, error) {
	m, err := h.svc.GetAccountSummary(ctx)
	if err != nil {
		return nil, err
	}
	return &GetAccountSummaryOutput{SummaryMap: summaryOut(m)}, nil
}

// ---- simulation ----

// SimulatePrincipalPolicyInput is SimulatePrincipalPolicyRequest.
// Its members are SimulateCustomPolicyRequest's plus PolicySourceArn.
type SimulatePrincipalPolicyInput struct {
	PolicySourceArn string `query:",required"`
	SimulateCustomPolicyInput
}

// SimulateCustomPolicyInput is SimulateCustomPolicyRequest.
type SimulateCustomPolicyInput struct {
	PolicyInputList                    []string            `query:"PolicyInputList"`
	PermissionsBoundaryPolicyInputList []string            `query:"PermissionsBoundaryPolicyInputList"`
	ActionNames                        []string            `query:",required"`
	ResourceArns                       []string            `query:"ResourceArns"`
	ResourcePolicy                     *string             `query:"ResourcePolicy"`
	ResourceOwner                      *string             `query:"ResourceOwner"`
	CallerArn                          *string             `query:"CallerArn"`
	ContextEntries                     []ContextEntryShape `query:"ContextEntries"`
	ResourceHandlingOption             *string             `query:"ResourceHandlingOption"`
	Marker                             *string             `query:"Marker"`
	MaxItems                           *int32              `query:"MaxItems"`
}

// SimulatePolicyOutput is SimulatePolicyResponse.
type SimulatePolicyOutput struct {
	EvaluationResults []EvaluationResultShape `xml:"EvaluationResults>member"`
	IsTruncated       bool                    `xml:"IsTruncated"`
	Marker            string                  `xml:"Marker,omitempty"`
}

func (in *SimulateCustomPolicyInput) simulation(source string) (iam.SimulateInput, error) {
	page, err := pageIn(in.Marker, in.MaxItems)
	return iam.SimulateInput{
		PolicySourceARN: source, PolicyInputList: in.PolicyInputList, BoundaryInputList: in.PermissionsBoundaryPolicyInputList,
		ActionNames: in.ActionNames, ResourceARNs: in.ResourceArns, ResourcePolicy: str(in.ResourcePolicy),
		ResourceOwner: str(in.ResourceOwner), CallerARN: str(in.CallerArn), ContextEntries: contextIn(in.ContextEntries),
		ResourceHandlingOp: str(in.ResourceHandlingOption), Page: page,
	}, err
}

func simulationOut(l iam.Listing[iam.EvaluationResult], err error) (*SimulatePolicyOutput, error) {
	if err != nil {
		return nil, err
	}
	return &SimulatePolicyOutput{EvaluationResults: resultsOut(l.Items), IsTruncated: l.IsTruncated, Marker: l.Marker}, nil
}

func (h handlers) simulatePrincipalPolicy(ctx context.Context, in *SimulatePrincipalPolicyInput) (*SimulatePolicyOutput, error) {
	sim, err := in.simulation(in.PolicySourceArn)
	if err != nil {
		return nil, err
	}
	return simulationOut(h.svc.SimulatePrincipalPolicy(ctx, sim))
}

func (h handlers) simulateCustomPolicy(ctx context.Context, in *SimulateCustomPolicyInput) (*SimulatePolicyOutput, error) {
	if len(in.PolicyInputList) == 0 {
		return nil, fmt.Errorf("%w: 1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null", iam.ErrValidation)
	}
	sim, err := in.simulation("")
	if err != nil {
		return nil, err
	}
	return simulationOut(h.svc.SimulateCustomPolicy(ctx, sim))
}
