package ec2

import (
	"context"
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/vpc"
)

func (h handlers) vpcOps() []protocol.Operation {
	return []protocol.Operation{
		protocol.Op("CreateVpc", h.createVpc),
		protocol.Op("DescribeVpcs", h.describeVpcs),
		protocol.Op("DeleteVpc", h.deleteVpc),
		protocol.Op("DescribeVpcAttribute", h.describeVpcAttribute),
		protocol.Op("ModifyVpcAttribute", h.modifyVpcAttribute),
	}
}

// VpcItem is a Vpc.
type VpcItem struct {
	VpcID                   string             `xml:"vpcId"`
	OwnerID                 string             `xml:"ownerId"`
	State                   string             `xml:"state"`
	CidrBlock               string             `xml:"cidrBlock"`
	CidrBlockAssociationSet Set[CidrBlockItem] `xml:"cidrBlockAssociationSet"`
	DhcpOptionsID           string             `xml:"dhcpOptionsId"`
	InstanceTenancy         string             `xml:"instanceTenancy"`
	IsDefault               bool               `xml:"isDefault"`
	Tags                    []TagItem          `xml:"tagSet>item,omitempty"`
}

// CidrBlockItem is a VpcCidrBlockAssociation.
type CidrBlockItem struct {
	AssociationID  string     `xml:"associationId"`
	CidrBlock      string     `xml:"cidrBlock"`
	CidrBlockState BlockState `xml:"cidrBlockState"`
}

// BlockState is a VpcCidrBlockState.
type BlockState struct {
	State string `xml:"state"`
}

func vpcItem(v *vpc.VPC) VpcItem {
	it := VpcItem{
		VpcID: v.ID, OwnerID: v.Account, State: "available", DhcpOptionsID: "default",
		InstanceTenancy: v.InstanceTenancy, IsDefault: v.IsDefault, Tags: tagSet(v.Tags),
		CidrBlockAssociationSet: Set[CidrBlockItem]{Items: make([]CidrBlockItem, 0, len(v.CIDRs))},
	}
	if len(v.CIDRs) > 0 {
		it.CidrBlock = v.CIDRs[0].Block
	}
	for _, c := range v.CIDRs {
		it.CidrBlockAssociationSet.Items = append(it.CidrBlockAssociationSet.Items,
			CidrBlockItem{AssociationID: c.AssociationID, CidrBlock: c.Block, CidrBlockState: BlockState{State: "associated"}})
	}
	return it
}

// CreateVpcInput is CreateVpc's request.
type CreateVpcInput struct {
	CidrBlock         string             `query:"CidrBlock"`
	InstanceTenancy   string             `query:"InstanceTenancy"`
	TagSpecifications []TagSpecification `query:"TagSpecification"`
	DryRun            bool               `query:"DryRun"`
}

// CreateVpcOutput is CreateVpc's response.
type CreateVpcOutput struct {
	Vpc VpcItem `xml:"vpc"`
}

func (h handlers) createVpc(ctx context.Context, in *CreateVpcInput) (*CreateVpcOutput, error) {
	tags, err := specTags(in.TagSpecifications, "vpc")
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		ctx = vpc.WithDryRun(ctx)
	}
	v, err := h.net.CreateVpc(ctx, vpc.CreateVPCInput{CIDR: in.CidrBlock, Tenancy: in.InstanceTenancy, Tags: tags})
	if err != nil {
		return nil, err
	}
	return &CreateVpcOutput{Vpc: vpcItem(v)}, nil
}

// DescribeVpcsInput is DescribeVpcs' request.
type DescribeVpcsInput struct {
	VpcIDs     []string `query:"VpcId"`
	Filters    []Filter `query:"Filter"`
	MaxResults *int     `query:"MaxResults"`
	NextToken  string   `query:"NextToken"`
	DryRun     bool     `query:"DryRun"`
}

// DescribeVpcsOutput is DescribeVpcs' response.
type DescribeVpcsOutput struct {
	Vpcs      Set[VpcItem] `xml:"vpcSet"`
	NextToken string       `xml:"nextToken,omitempty"`
}

func (h handlers) describeVpcs(ctx context.Context, in *DescribeVpcsInput) (*DescribeVpcsOutput, error) {
	vpcs, err := h.net.DescribeVpcs(ctx, in.VpcIDs, filters(in.Filters))
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, dryRun()
	}
	vpcs, next, err := page(vpcs, func(v *vpc.VPC) string { return v.ID }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeVpcsOutput{Vpcs: Set[VpcItem]{Items: make([]VpcItem, 0, len(vpcs))}, NextToken: next}
	for _, v := range vpcs {
		out.Vpcs.Items = append(out.Vpcs.Items, vpcItem(v))
	}
	return out, nil
}

// DeleteVpcInput is DeleteVpc's request.
type DeleteVpcInput struct {
	VpcID  string `query:"VpcId,required"`
	DryRun bool   `query:"DryRun"`
}

// DeleteVpcOutput is DeleteVpc's (empty) response.
type DeleteVpcOutput struct{}

func (h handlers) deleteVpc(ctx context.Context, in *DeleteVpcInput) (*DeleteVpcOutput, error) {
	if in.DryRun {
		ctx = vpc.WithDryRun(ctx)
	}
	if err := h.net.DeleteVpc(ctx, in.VpcID); err != nil {
		return nil, err
	}
	return &DeleteVpcOutput{}, nil
}

// DescribeVpcAttributeInput is DescribeVpcAttribute's request.
type DescribeVpcAttributeInput struct {
	VpcID     string `query:"VpcId,required"`
	Attribute string `query:"Attribute,required"`
	DryRun    bool   `query:"DryRun"`
}

// AttributeBool is an AttributeBooleanValue.
type AttributeBool struct {
	Value bool `xml:"value"`
}

// DescribeVpcAttributeOutput is DescribeVpcAttribute's response: the VPC
// and the one attribute asked for.
type DescribeVpcAttributeOutput struct {
	VpcID                            string         `xml:"vpcId"`
	EnableDNSSupport                 *AttributeBool `xml:"enableDnsSupport,omitempty"`
	EnableDNSHostnames               *AttributeBool `xml:"enableDnsHostnames,omitempty"`
	EnableNetworkAddressUsageMetrics *AttributeBool `xml:"enableNetworkAddressUsageMetrics,omitempty"`
}

func (h handlers) describeVpcAttribute(ctx context.Context, in *DescribeVpcAttributeInput) (*DescribeVpcAttributeOutput, error) {
	v, err := h.net.DescribeVpcAttribute(ctx, in.VpcID, in.Attribute)
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, dryRun()
	}
	out := &DescribeVpcAttributeOutput{VpcID: in.VpcID}
	val := &AttributeBool{Value: v}
	switch in.Attribute {
	case vpc.AttrDNSSupport:
		out.EnableDNSSupport = val
	case vpc.AttrDNSHostnames:
		out.EnableDNSHostnames = val
	case vpc.AttrNAUMetrics:
		out.EnableNetworkAddressUsageMetrics = val
	}
	return out, nil
}

// AttributeBoolValue is a request's AttributeBooleanValue (Name.Value).
type AttributeBoolValue struct {
	Value bool `query:"Value,required"`
}

// ModifyVpcAttributeInput is ModifyVpcAttribute's request (EC2's model
// has no DryRun here).
type ModifyVpcAttributeInput struct {
	VpcID                            string              `query:"VpcId,required"`
	EnableDNSSupport                 *AttributeBoolValue `query:"EnableDnsSupport"`
	EnableDNSHostnames               *AttributeBoolValue `query:"EnableDnsHostnames"`
	EnableNetworkAddressUsageMetrics *AttributeBoolValue `query:"EnableNetworkAddressUsageMetrics"`
}

// ModifyVpcAttributeOutput is ModifyVpcAttribute's (empty) response.
type ModifyVpcAttributeOutput struct{}

func (h handlers) modifyVpcAttribute(ctx context.Context, in *ModifyVpcAttributeInput) (*ModifyVpcAttributeOutput, error) {
	attr, value, n := "", false, 0
	for _, a := range []struct {
		name string
		v    *AttributeBoolValue
	}{
		{vpc.AttrDNSSupport, in.EnableDNSSupport},
		{vpc.AttrDNSHostnames, in.EnableDNSHostnames},
		{vpc.AttrNAUMetrics, in.EnableNetworkAddressUsageMetrics},
	} {
		if a.v == nil {
			continue
		}
		attr, value, n = a.name, a.v.Value, n+1
	}
	if n > 1 {
		return nil, awserr.New(http.StatusBadRequest, "InvalidParameterCombination", "Only one attribute can be modified at a time")
	}
	if err := h.net.ModifyVpcAttribute(ctx, in.VpcID, attr, value); err != nil {
		return nil, err
	}
	return &ModifyVpcAttributeOutput{}, nil
}
