package ec2

import (
	"context"

	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/vpc"
)

func (h handlers) securityGroupOps() []protocol.Operation {
	return []protocol.Operation{
		protocol.Op("CreateSecurityGroup", h.createSecurityGroup),
		protocol.Op("DescribeSecurityGroups", h.describeSecurityGroups),
		protocol.Op("DeleteSecurityGroup", h.deleteSecurityGroup),
	}
}

// SecurityGroupItem is a SecurityGroup.
type SecurityGroupItem struct {
	OwnerID             string            `xml:"ownerId"`
	GroupID             string            `xml:"groupId"`
	GroupName           string            `xml:"groupName"`
	GroupDescription    string            `xml:"groupDescription"`
	VpcID               string            `xml:"vpcId"`
	IPPermissions       Set[IPPermission] `xml:"ipPermissions"`
	IPPermissionsEgress Set[IPPermission] `xml:"ipPermissionsEgress"`
	SecurityGroupArn    string            `xml:"securityGroupArn"`
	Tags                []TagItem         `xml:"tagSet>item,omitempty"`
}

// IPPermission is an IpPermission: one protocol and port range with all
// its peers, as EC2 folds a group's rules back together.
type IPPermission struct {
	IPProtocol    string               `xml:"ipProtocol"`
	FromPort      *int                 `xml:"fromPort,omitempty"`
	ToPort        *int                 `xml:"toPort,omitempty"`
	Groups        Set[UserIDGroupPair] `xml:"groups"`
	IPRanges      Set[IPRange]         `xml:"ipRanges"`
	Ipv6Ranges    Set[Ipv6Range]       `xml:"ipv6Ranges"`
	PrefixListIDs Set[PrefixListID]    `xml:"prefixListIds"`
}

// UserIDGroupPair is a security-group peer.
type UserIDGroupPair struct {
	UserID      string `xml:"userId"`
	GroupID     string `xml:"groupId"`
	Description string `xml:"description,omitempty"`
}

// IPRange is an IPv4 peer.
type IPRange struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

// Ipv6Range is an IPv6 peer.
type Ipv6Range struct {
	CidrIpv6    string `xml:"cidrIpv6"`
	Description string `xml:"description,omitempty"`
}

// PrefixListID is a prefix-list peer (never stored here: the region has
// no prefix lists, so the set is always empty).
type PrefixListID struct {
	PrefixListID string `xml:"prefixListId"`
	Description  string `xml:"description,omitempty"`
}

// hasPorts reports whether EC2 shows a port range for the protocol (not
// for "-1" or protocols other than TCP, UDP and ICMP).
func hasPorts(proto string) bool {
	switch proto {
	case "tcp", "udp", "icmp", "icmpv6":
		return true
	}
	return false
}

// permissions folds flattened rules into IpPermissions: one per
// (protocol, from, to), in the order each first appears.
func permissions(rules []vpc.SGRule) Set[IPPermission] {
	type key struct {
		proto    string
		from, to int
	}
	out := Set[IPPermission]{Items: []IPPermission{}}
	index := map[key]int{}
	for _, r := range rules {
		k := key{r.Protocol, r.FromPort, r.ToPort}
		i, ok := index[k]
		if !ok {
			p := IPPermission{IPProtocol: r.Protocol,
				Groups: Set[UserIDGroupPair]{Items: []UserIDGroupPair{}}, IPRanges: Set[IPRange]{Items: []IPRange{}},
				Ipv6Ranges: Set[Ipv6Range]{Items: []Ipv6Range{}}, PrefixListIDs: Set[PrefixListID]{Items: []PrefixListID{}}}
			if hasPorts(r.Protocol) {
				from, to := r.FromPort, r.ToPort
				p.FromPort, p.ToPort = &from, &to
			}
			i = len(out.Items)
			index[k] = i
			out.Items = append(out.Items, p)
		}
		p := &out.Items[i]
		switch {
		case r.CIDRv4 != "":
			p.IPRanges.Items = append(p.IPRanges.Items, IPRange{CidrIP: r.CIDRv4, Description: r.Description})
		case r.CIDRv6 != "":
			p.Ipv6Ranges.Items = append(p.Ipv6Ranges.Items, Ipv6Range{CidrIpv6: r.CIDRv6, Description: r.Description})
		case r.Group != "":
			p.Groups.Items = append(p.Groups.Items, UserIDGroupPair{UserID: r.GroupOwner, GroupID: r.Group, Description: r.Description})
		}
	}
	return out
}

func (h handlers) securityGroupItem(g *vpc.SecurityGroup) SecurityGroupItem {
	return SecurityGroupItem{
		OwnerID: g.Account, GroupID: g.ID, GroupName: g.Name, GroupDescription: g.Description, VpcID: g.VPC,
		IPPermissions: permissions(g.Ingress), IPPermissionsEgress: permissions(g.Egress),
		SecurityGroupArn: h.net.ARN(g.Account, "security-group/"+g.ID), Tags: tagSet(g.Tags),
	}
}

// CreateSecurityGroupInput is CreateSecurityGroup's request.
type CreateSecurityGroupInput struct {
	GroupName         string             `query:"GroupName"`
	GroupDescription  string             `query:"GroupDescription"`
	VpcID             string             `query:"VpcId"`
	TagSpecifications []TagSpecification `query:"TagSpecification"`
	DryRun            bool               `query:"DryRun"`
}

// CreateSecurityGroupOutput is CreateSecurityGroup's response.
type CreateSecurityGroupOutput struct {
	GroupID          string    `xml:"groupId"`
	Tags             []TagItem `xml:"tagSet>item,omitempty"`
	SecurityGroupArn string    `xml:"securityGroupArn"`
}

func (h handlers) createSecurityGroup(ctx context.Context, in *CreateSecurityGroupInput) (*CreateSecurityGroupOutput, error) {
	tags, err := specTags(in.TagSpecifications, "security-group")
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		ctx = vpc.WithDryRun(ctx)
	}
	g, err := h.net.CreateSecurityGroup(ctx, vpc.CreateSecurityGroupInput{Name: in.GroupName, Description: in.GroupDescription, VPC: in.VpcID, Tags: tags})
	if err != nil {
		return nil, err
	}
	return &CreateSecurityGroupOutput{GroupID: g.ID, Tags: tagSet(g.Tags), SecurityGroupArn: h.net.ARN(g.Account, "security-group/"+g.ID)}, nil
}

// DescribeSecurityGroupsInput is DescribeSecurityGroups' request.
type DescribeSecurityGroupsInput struct {
	GroupIDs   []string `query:"GroupId"`
	GroupNames []string `query:"GroupName"`
	Filters    []Filter `query:"Filter"`
	MaxResults *int     `query:"MaxResults"`
	NextToken  string   `query:"NextToken"`
	DryRun     bool     `query:"DryRun"`
}

// DescribeSecurityGroupsOutput is DescribeSecurityGroups' response.
type DescribeSecurityGroupsOutput struct {
	SecurityGroups Set[SecurityGroupItem] `xml:"securityGroupInfo"`
	NextToken      string                 `xml:"nextToken,omitempty"`
}

func (h handlers) describeSecurityGroups(ctx context.Context, in *DescribeSecurityGroupsInput) (*DescribeSecurityGroupsOutput, error) {
	groups, err := h.net.DescribeSecurityGroups(ctx, in.GroupIDs, in.GroupNames, filters(in.Filters))
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, dryRun()
	}
	groups, next, err := page(groups, func(g *vpc.SecurityGroup) string { return g.ID }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeSecurityGroupsOutput{SecurityGroups: Set[SecurityGroupItem]{Items: make([]SecurityGroupItem, 0, len(groups))}, NextToken: next}
	for _, g := range groups {
		out.SecurityGroups.Items = append(out.SecurityGroups.Items, h.securityGroupItem(g))
	}
	return out, nil
}

// DeleteSecurityGroupInput is DeleteSecurityGroup's request: a group ID,
// or the name of a default-VPC group.
type DeleteSecurityGroupInput struct {
	GroupID   string `query:"GroupId"`
	GroupName string `query:"GroupName"`
	DryRun    bool   `query:"DryRun"`
}

// DeleteSecurityGroupOutput is DeleteSecurityGroup's response.
type DeleteSecurityGroupOutput struct {
	Return  bool   `xml:"return"`
	GroupID string `xml:"groupId,omitempty"`
}

func (h handlers) deleteSecurityGroup(ctx context.Context, in *DeleteSecurityGroupInput) (*DeleteSecurityGroupOutput, error) {
	if in.DryRun {
		ctx = vpc.WithDryRun(ctx)
	}
	id, err := h.net.DeleteSecurityGroup(ctx, in.GroupID, in.GroupName)
	if err != nil {
		return nil, err
	}
	return &DeleteSecurityGroupOutput{Return: true, GroupID: id}, nil
}
