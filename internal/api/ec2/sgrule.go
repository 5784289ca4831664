package ec2

import (
	"context"
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/vpc"
)

func (h handlers) ruleOps() []protocol.Operation {
	return []protocol.Operation{
		protocol.Op("AuthorizeSecurityGroupIngress", h.authorizeIngress),
		protocol.Op("AuthorizeSecurityGroupEgress", h.authorizeEgress),
		protocol.Op("RevokeSecurityGroupIngress", h.revokeIngress),
		protocol.Op("RevokeSecurityGroupEgress", h.revokeEgress),
		protocol.Op("DescribeSecurityGroupRules", h.describeSecurityGroupRules),
		protocol.Op("ModifySecurityGroupRules", h.modifySecurityGroupRules),
	}
}

// IPPermissionInput is a request's IpPermissions.N. Its security-group
// peers are Groups.N on the wire (the model's UserIdGroupPairs member has
// the location name "groups"; botocore and the Go SDK both send Groups).
type IPPermissionInput struct {
	IPProtocol    string                 `query:"IpProtocol"`
	FromPort      *int                   `query:"FromPort"`
	ToPort        *int                   `query:"ToPort"`
	IPRanges      []IPRangeInput         `query:"IpRanges"`
	Ipv6Ranges    []Ipv6RangeInput       `query:"Ipv6Ranges"`
	Groups        []UserIDGroupPairInput `query:"Groups"`
	PrefixListIDs []PrefixListIDInput    `query:"PrefixListIds"`
}

// IPRangeInput is IpRanges.N.
type IPRangeInput struct {
	CidrIP      string `query:"CidrIp"`
	Description string `query:"Description"`
}

// Ipv6RangeInput is Ipv6Ranges.N.
type Ipv6RangeInput struct {
	CidrIpv6    string `query:"CidrIpv6"`
	Description string `query:"Description"`
}

// UserIDGroupPairInput is Groups.N.
type UserIDGroupPairInput struct {
	GroupID     string `query:"GroupId"`
	GroupName   string `query:"GroupName"`
	UserID      string `query:"UserId"`
	Description string `query:"Description"`
}

// PrefixListIDInput is PrefixListIds.N.
type PrefixListIDInput struct {
	PrefixListID string `query:"PrefixListId"`
	Description  string `query:"Description"`
}

func (p IPPermissionInput) permission() vpc.Permission {
	out := vpc.Permission{Protocol: p.IPProtocol, FromPort: p.FromPort, ToPort: p.ToPort}
	for _, r := range p.IPRanges {
		out.IPv4 = append(out.IPv4, vpc.Peer{CIDR: r.CidrIP, Description: r.Description})
	}
	for _, r := range p.Ipv6Ranges {
		out.IPv6 = append(out.IPv6, vpc.Peer{CIDR: r.CidrIpv6, Description: r.Description})
	}
	for _, g := range p.Groups {
		out.Groups = append(out.Groups, vpc.GroupPeer{GroupID: g.GroupID, GroupName: g.GroupName, UserID: g.UserID, Description: g.Description})
	}
	for _, l := range p.PrefixListIDs {
		out.PrefixLists = append(out.PrefixLists, l.PrefixListID)
	}
	return out
}

// RuleChangeInput is the request of Authorize/RevokeSecurityGroupIngress
// and Egress: IpPermissions.N, or the older flat form (CidrIp, IpProtocol,
// FromPort, ToPort, SourceSecurityGroupName), or, to revoke,
// SecurityGroupRuleId.N.
type RuleChangeInput struct {
	GroupID                    string              `query:"GroupId"`
	GroupName                  string              `query:"GroupName"` // ingress only
	IPPermissions              []IPPermissionInput `query:"IpPermissions"`
	CidrIP                     string              `query:"CidrIp"`
	IPProtocol                 string              `query:"IpProtocol"`
	FromPort                   *int                `query:"FromPort"`
	ToPort                     *int                `query:"ToPort"`
	SourceSecurityGroupName    string              `query:"SourceSecurityGroupName"`
	SourceSecurityGroupOwnerID string              `query:"SourceSecurityGroupOwnerId"`
	SecurityGroupRuleIDs       []string            `query:"SecurityGroupRuleId"` // revoke only
	TagSpecifications          []TagSpecification  `query:"TagSpecification"`    // authorize only
	DryRun                     bool                `query:"DryRun"`
}

func combination(format string, args ...any) *awserr.Error {
	return awserr.New(http.StatusBadRequest, "InvalidParameterCombination", format, args...)
}

// change turns the request into the service's, reading the flat form as
// EC2 does: a CIDR with a protocol and ports, or a source group (whose
// rules then allow all TCP, UDP and ICMP).
func (in *RuleChangeInput) change(egress bool) (vpc.RuleChange, error) {
	rc := vpc.RuleChange{GroupID: in.GroupID, Egress: egress, RuleIDs: in.SecurityGroupRuleIDs}
	if !egress {
		rc.GroupName = in.GroupName
	}
	for _, p := range in.IPPermissions {
		rc.Permissions = append(rc.Permissions, p.permission())
	}
	flat := in.CidrIP != "" || in.IPProtocol != "" || in.FromPort != nil || in.ToPort != nil ||
		in.SourceSecurityGroupName != "" || in.SourceSecurityGroupOwnerID != ""
	switch {
	case !flat:
		return rc, nil
	case egress:
		return rc, invalidValue("The flat parameters (CidrIp, IpProtocol, FromPort, ToPort, SourceSecurityGroupName) are not supported for egress rules; use IpPermissions.")
	case len(in.IPPermissions) > 0:
		return rc, combination("IpPermissions cannot be combined with CidrIp, IpProtocol, FromPort, ToPort or SourceSecurityGroupName.")
	case in.SourceSecurityGroupName != "":
		if in.CidrIP != "" || in.IPProtocol != "" || in.FromPort != nil || in.ToPort != nil {
			return rc, combination("SourceSecurityGroupName cannot be combined with CidrIp, IpProtocol, FromPort or ToPort.")
		}
		peer := []vpc.GroupPeer{{GroupName: in.SourceSecurityGroupName, UserID: in.SourceSecurityGroupOwnerID}}
		allPorts := func(proto string, from, to int) vpc.Permission {
			return vpc.Permission{Protocol: proto, FromPort: &from, ToPort: &to, Groups: peer}
		}
		rc.Permissions = []vpc.Permission{allPorts("tcp", 0, 65535), allPorts("udp", 0, 65535), allPorts("icmp", -1, -1)}
	case in.SourceSecurityGroupOwnerID != "":
		return rc, missingParameter("SourceSecurityGroupName")
	default:
		p := vpc.Permission{Protocol: in.IPProtocol, FromPort: in.FromPort, ToPort: in.ToPort}
		if in.CidrIP != "" {
			p.IPv4 = []vpc.Peer{{CIDR: in.CidrIP}}
		}
		rc.Permissions = []vpc.Permission{p}
	}
	return rc, nil
}

func missingParameter(name string) *awserr.Error {
	return awserr.New(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter %s", name)
}

// SecurityGroupRuleItem is a SecurityGroupRule.
type SecurityGroupRuleItem struct {
	SecurityGroupRuleID  string          `xml:"securityGroupRuleId"`
	GroupID              string          `xml:"groupId"`
	GroupOwnerID         string          `xml:"groupOwnerId"`
	IsEgress             bool            `xml:"isEgress"`
	IPProtocol           string          `xml:"ipProtocol"`
	FromPort             int             `xml:"fromPort"`
	ToPort               int             `xml:"toPort"`
	CidrIpv4             string          `xml:"cidrIpv4,omitempty"`
	CidrIpv6             string          `xml:"cidrIpv6,omitempty"`
	ReferencedGroupInfo  *ReferencedInfo `xml:"referencedGroupInfo,omitempty"`
	Description          string          `xml:"description,omitempty"`
	SecurityGroupRuleArn string          `xml:"securityGroupRuleArn"`
	Tags                 Set[TagItem]    `xml:"tagSet"`
}

// ReferencedInfo is a ReferencedSecurityGroup.
type ReferencedInfo struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

func (h handlers) ruleItem(r vpc.RuleInfo) SecurityGroupRuleItem {
	it := SecurityGroupRuleItem{
		SecurityGroupRuleID: r.ID, GroupID: r.GroupID, GroupOwnerID: r.Owner, IsEgress: r.Egress,
		IPProtocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort, CidrIpv4: r.CIDRv4, CidrIpv6: r.CIDRv6,
		Description: r.Description, SecurityGroupRuleArn: h.net.ARN(r.Owner, "security-group-rule/"+r.ID),
		Tags: Set[TagItem]{Items: tagSet(r.Tags)},
	}
	if it.Tags.Items == nil {
		it.Tags.Items = []TagItem{}
	}
	if r.Group != "" {
		it.ReferencedGroupInfo = &ReferencedInfo{GroupID: r.Group, UserID: r.GroupOwner}
	}
	return it
}

// AuthorizeOutput is Authorize*'s response: the rules made.
type AuthorizeOutput struct {
	Return bool                       `xml:"return"`
	Rules  Set[SecurityGroupRuleItem] `xml:"securityGroupRuleSet"`
}

func (h handlers) authorize(ctx context.Context, in *RuleChangeInput, egress bool) (*AuthorizeOutput, error) {
	rc, err := in.change(egress)
	if err != nil {
		return nil, err
	}
	if len(in.SecurityGroupRuleIDs) > 0 {
		return nil, invalidValue("SecurityGroupRuleId is not a parameter of this operation.")
	}
	if tags, err := specTags(in.TagSpecifications, "security-group-rule"); err != nil {
		return nil, err
	} else if len(tags) > 0 {
		// TODO(vpc): the service stores no tags on rules yet.
		return nil, invalidValue("Tags on security group rules are not supported in this region.")
	}
	if in.DryRun {
		ctx = vpc.WithDryRun(ctx)
	}
	rules, err := h.net.AuthorizeRules(ctx, rc)
	if err != nil {
		return nil, err
	}
	out := &AuthorizeOutput{Return: true, Rules: Set[SecurityGroupRuleItem]{Items: make([]SecurityGroupRuleItem, 0, len(rules))}}
	for _, r := range rules {
		out.Rules.Items = append(out.Rules.Items, h.ruleItem(r))
	}
	return out, nil
}

func (h handlers) authorizeIngress(ctx context.Context, in *RuleChangeInput) (*AuthorizeOutput, error) {
	return h.authorize(ctx, in, false)
}

func (h handlers) authorizeEgress(ctx context.Context, in *RuleChangeInput) (*AuthorizeOutput, error) {
	return h.authorize(ctx, in, true)
}

// RevokedRule is a RevokedSecurityGroupRule.
type RevokedRule struct {
	SecurityGroupRuleID string `xml:"securityGroupRuleId"`
	GroupID             string `xml:"groupId"`
	IsEgress            bool   `xml:"isEgress"`
	IPProtocol          string `xml:"ipProtocol"`
	FromPort            int    `xml:"fromPort"`
	ToPort              int    `xml:"toPort"`
	CidrIpv4            string `xml:"cidrIpv4,omitempty"`
	CidrIpv6            string `xml:"cidrIpv6,omitempty"`
	ReferencedGroupID   string `xml:"referencedGroupId,omitempty"`
	Description         string `xml:"description,omitempty"`
}

// RevokeOutput is Revoke*'s response: the rules removed. A rule that does
// not exist is an error (InvalidPermission.NotFound) rather than an
// unknownIpPermissionSet entry.
type RevokeOutput struct {
	Return bool             `xml:"return"`
	Rules  Set[RevokedRule] `xml:"revokedSecurityGroupRuleSet"`
}

func (h handlers) revoke(ctx context.Context, in *RuleChangeInput, egress bool) (*RevokeOutput, error) {
	rc, err := in.change(egress)
	if err != nil {
		return nil, err
	}
	if len(in.TagSpecifications) > 0 {
		return nil, invalidValue("TagSpecification is not a parameter of this operation.")
	}
	if in.DryRun {
		ctx = vpc.WithDryRun(ctx)
	}
	rules, err := h.net.RevokeRules(ctx, rc)
	if err != nil {
		return nil, err
	}
	out := &RevokeOutput{Return: true, Rules: Set[RevokedRule]{Items: make([]RevokedRule, 0, len(rules))}}
	for _, r := range rules {
		out.Rules.Items = append(out.Rules.Items, RevokedRule{
			SecurityGroupRuleID: r.ID, GroupID: r.GroupID, IsEgress: r.Egress, IPProtocol: r.Protocol,
			FromPort: r.FromPort, ToPort: r.ToPort, CidrIpv4: r.CIDRv4, CidrIpv6: r.CIDRv6,
			ReferencedGroupID: r.Group, Description: r.Description,
		})
	}
	return out, nil
}

func (h handlers) revokeIngress(ctx context.Context, in *RuleChangeInput) (*RevokeOutput, error) {
	return h.revoke(ctx, in, false)
}

func (h handlers) revokeEgress(ctx context.Context, in *RuleChangeInput) (*RevokeOutput, error) {
	return h.revoke(ctx, in, true)
}

// DescribeSecurityGroupRulesInput is DescribeSecurityGroupRules' request.
type DescribeSecurityGroupRulesInput struct {
	RuleIDs    []string `query:"SecurityGroupRuleId"`
	Filters    []Filter `query:"Filter"`
	MaxResults *int     `query:"MaxResults"`
	NextToken  string   `query:"NextToken"`
	DryRun     bool     `query:"DryRun"`
}

// DescribeSecurityGroupRulesOutput is DescribeSecurityGroupRules' response.
type DescribeSecurityGroupRulesOutput struct {
	Rules     Set[SecurityGroupRuleItem] `xml:"securityGroupRuleSet"`
	NextToken string                     `xml:"nextToken,omitempty"`
}

func (h handlers) describeSecurityGroupRules(ctx context.Context, in *DescribeSecurityGroupRulesInput) (*DescribeSecurityGroupRulesOutput, error) {
	rules, err := h.net.DescribeSecurityGroupRules(ctx, in.RuleIDs, filters(in.Filters))
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, dryRun()
	}
	rules, next, err := page(rules, func(r vpc.RuleInfo) string { return r.ID }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeSecurityGroupRulesOutput{Rules: Set[SecurityGroupRuleItem]{Items: make([]SecurityGroupRuleItem, 0, len(rules))}, NextToken: next}
	for _, r := range rules {
		out.Rules.Items = append(out.Rules.Items, h.ruleItem(r))
	}
	return out, nil
}

// RuleUpdateInput is ModifySecurityGroupRules' SecurityGroupRule.N.
type RuleUpdateInput struct {
	SecurityGroupRuleID string            `query:"SecurityGroupRuleId,required"`
	SecurityGroupRule   *RuleRequestInput `query:"SecurityGroupRule,required"`
}

// RuleRequestInput is a SecurityGroupRuleRequest: one rule, one peer.
type RuleRequestInput struct {
	IPProtocol        string `query:"IpProtocol"`
	FromPort          *int   `query:"FromPort"`
	ToPort            *int   `query:"ToPort"`
	CidrIpv4          string `query:"CidrIpv4"`
	CidrIpv6          string `query:"CidrIpv6"`
	PrefixListID      string `query:"PrefixListId"`
	ReferencedGroupID string `query:"ReferencedGroupId"`
	Description       string `query:"Description"`
}

// ModifySecurityGroupRulesInput is ModifySecurityGroupRules' request.
type ModifySecurityGroupRulesInput struct {
	GroupID string            `query:"GroupId,required"`
	Rules   []RuleUpdateInput `query:"SecurityGroupRule,required"`
	DryRun  bool              `query:"DryRun"`
}

// ModifySecurityGroupRulesOutput is ModifySecurityGroupRules' response.
type ModifySecurityGroupRulesOutput struct {
	Return bool `xml:"return"`
}

func (h handlers) modifySecurityGroupRules(ctx context.Context, in *ModifySecurityGroupRulesInput) (*ModifySecurityGroupRulesOutput, error) {
	updates := make([]vpc.RuleUpdate, 0, len(in.Rules))
	for _, u := range in.Rules {
		r := u.SecurityGroupRule
		p := vpc.Permission{Protocol: r.IPProtocol, FromPort: r.FromPort, ToPort: r.ToPort}
		if r.CidrIpv4 != "" {
			p.IPv4 = []vpc.Peer{{CIDR: r.CidrIpv4, Description: r.Description}}
		}
		if r.CidrIpv6 != "" {
			p.IPv6 = []vpc.Peer{{CIDR: r.CidrIpv6, Description: r.Description}}
		}
		if r.ReferencedGroupID != "" {
			p.Groups = []vpc.GroupPeer{{GroupID: r.ReferencedGroupID, Description: r.Description}}
		}
		if r.PrefixListID != "" {
			p.PrefixLists = []string{r.PrefixListID}
		}
		updates = append(updates, vpc.RuleUpdate{RuleID: u.SecurityGroupRuleID, Permission: p})
	}
	if in.DryRun {
		ctx = vpc.WithDryRun(ctx)
	}
	if err := h.net.ModifySecurityGroupRules(ctx, in.GroupID, updates); err != nil {
		return nil, err
	}
	return &ModifySecurityGroupRulesOutput{Return: true}, nil
}
