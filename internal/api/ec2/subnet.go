package ec2

import (
	"context"

	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/vpc"
)

func (h handlers) subnetOps() []protocol.Operation {
	return []protocol.Operation{
		protocol.Op("CreateSubnet", h.createSubnet),
		protocol.Op("DescribeSubnets", h.describeSubnets),
		protocol.Op("DeleteSubnet", h.deleteSubnet),
		protocol.Op("ModifySubnetAttribute", h.modifySubnetAttribute),
	}
}

// SubnetItem is a Subnet.
type SubnetItem struct {
	SubnetID                      string               `xml:"subnetId"`
	SubnetArn                     string               `xml:"subnetArn"`
	State                         string               `xml:"state"`
	VpcID                         string               `xml:"vpcId"`
	OwnerID                       string               `xml:"ownerId"`
	CidrBlock                     string               `xml:"cidrBlock"`
	Ipv6CidrBlockAssociationSet   Set[struct{}]        `xml:"ipv6CidrBlockAssociationSet"`
	AvailableIPAddressCount       int                  `xml:"availableIpAddressCount"`
	AvailabilityZone              string               `xml:"availabilityZone"`
	AvailabilityZoneID            string               `xml:"availabilityZoneId"`
	DefaultForAz                  bool                 `xml:"defaultForAz"`
	MapPublicIPOnLaunch           bool                 `xml:"mapPublicIpOnLaunch"`
	MapCustomerOwnedIPOnLaunch    bool                 `xml:"mapCustomerOwnedIpOnLaunch"`
	AssignIpv6AddressOnCreation   bool                 `xml:"assignIpv6AddressOnCreation"`
	EnableDNS64                   bool                 `xml:"enableDns64"`
	Ipv6Native                    bool                 `xml:"ipv6Native"`
	PrivateDNSNameOptionsOnLaunch PrivateDNSNameOption `xml:"privateDnsNameOptionsOnLaunch"`
	Tags                          []TagItem            `xml:"tagSet>item,omitempty"`
}

// PrivateDNSNameOption is a PrivateDnsNameOptionsOnLaunch: instances are
// named after their IP address, with no DNS records for the name.
type PrivateDNSNameOption struct {
	HostnameType                    string `xml:"hostnameType"`
	EnableResourceNameDNSARecord    bool   `xml:"enableResourceNameDnsARecord"`
	EnableResourceNameDNSAAAARecord bool   `xml:"enableResourceNameDnsAAAARecord"`
}

func (h handlers) subnetItem(sn *vpc.Subnet) SubnetItem {
	return SubnetItem{
		SubnetID: sn.ID, SubnetArn: h.net.ARN(sn.Account, "subnet/"+sn.ID), State: "available", VpcID: sn.VPC,
		OwnerID: sn.Account, CidrBlock: sn.CIDR, AvailableIPAddressCount: sn.Available,
		AvailabilityZone: sn.AZ, AvailabilityZoneID: h.net.ZoneID(sn.AZ),
		DefaultForAz: sn.DefaultForAZ, MapPublicIPOnLaunch: sn.MapPublicIP,
		PrivateDNSNameOptionsOnLaunch: PrivateDNSNameOption{HostnameType: "ip-name"},
		Tags:                          tagSet(sn.Tags),
	}
}

// CreateSubnetInput is CreateSubnet's request.
type CreateSubnetInput struct {
	VpcID              string             `query:"VpcId,required"`
	CidrBlock          string             `query:"CidrBlock"`
	AvailabilityZone   string             `query:"AvailabilityZone"`
	AvailabilityZoneID string             `query:"AvailabilityZoneId"`
	TagSpecifications  []TagSpecification `query:"TagSpecification"`
	DryRun             bool               `query:"DryRun"`
}

// CreateSubnetOutput is CreateSubnet's response.
type CreateSubnetOutput struct {
	Subnet SubnetItem `xml:"subnet"`
}

func (h handlers) createSubnet(ctx context.Context, in *CreateSubnetInput) (*CreateSubnetOutput, error) {
	tags, err := specTags(in.TagSpecifications, "subnet")
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		ctx = vpc.WithDryRun(ctx)
	}
	sn, err := h.net.CreateSubnet(ctx, vpc.CreateSubnetInput{VPC: in.VpcID, CIDR: in.CidrBlock, AZ: in.AvailabilityZone, AZID: in.AvailabilityZoneID, Tags: tags})
	if err != nil {
		return nil, err
	}
	return &CreateSubnetOutput{Subnet: h.subnetItem(sn)}, nil
}

// DescribeSubnetsInput is DescribeSubnets' request.
type DescribeSubnetsInput struct {
	SubnetIDs  []string `query:"SubnetId"`
	Filters    []Filter `query:"Filter"`
	MaxResults *int     `query:"MaxResults"`
	NextToken  string   `query:"NextToken"`
	DryRun     bool     `query:"DryRun"`
}

// DescribeSubnetsOutput is DescribeSubnets' response.
type DescribeSubnetsOutput struct {
	Subnets   Set[SubnetItem] `xml:"subnetSet"`
	NextToken string          `xml:"nextToken,omitempty"`
}

func (h handlers) describeSubnets(ctx context.Context, in *DescribeSubnetsInput) (*DescribeSubnetsOutput, error) {
	subnets, err := h.net.DescribeSubnets(ctx, in.SubnetIDs, filters(in.Filters))
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, dryRun()
	}
	subnets, next, err := page(subnets, func(sn *vpc.Subnet) string { return sn.ID }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeSubnetsOutput{Subnets: Set[SubnetItem]{Items: make([]SubnetItem, 0, len(subnets))}, NextToken: next}
	for _, sn := range subnets {
		out.Subnets.Items = append(out.Subnets.Items, h.subnetItem(sn))
	}
	return out, nil
}

// DeleteSubnetInput is DeleteSubnet's request.
type DeleteSubnetInput struct {
	SubnetID string `query:"SubnetId,required"`
	DryRun   bool   `query:"DryRun"`
}

// DeleteSubnetOutput is DeleteSubnet's (empty) response.
type DeleteSubnetOutput struct{}

func (h handlers) deleteSubnet(ctx context.Context, in *DeleteSubnetInput) (*DeleteSubnetOutput, error) {
	if in.DryRun {
		ctx = vpc.WithDryRun(ctx)
	}
	if err := h.net.DeleteSubnet(ctx, in.SubnetID); err != nil {
		return nil, err
	}
	return &DeleteSubnetOutput{}, nil
}

// ModifySubnetAttributeInput is ModifySubnetAttribute's request (EC2's
// model has no DryRun here). Of the subnet attributes only
// MapPublicIpOnLaunch can change; the others may only be set to the one
// value they have here (clients such as Terraform send those), and a
// request to change one is refused by name.
type ModifySubnetAttributeInput struct {
	SubnetID                                string              `query:"SubnetId,required"`
	MapPublicIPOnLaunch                     *AttributeBoolValue `query:"MapPublicIpOnLaunch"`
	AssignIpv6AddressOnCreation             *AttributeBoolValue `query:"AssignIpv6AddressOnCreation"`
	MapCustomerOwnedIPOnLaunch              *AttributeBoolValue `query:"MapCustomerOwnedIpOnLaunch"`
	EnableDNS64                             *AttributeBoolValue `query:"EnableDns64"`
	EnableResourceNameDNSARecordOnLaunch    *AttributeBoolValue `query:"EnableResourceNameDnsARecordOnLaunch"`
	EnableResourceNameDNSAAAARecordOnLaunch *AttributeBoolValue `query:"EnableResourceNameDnsAAAARecordOnLaunch"`
	PrivateDNSHostnameTypeOnLaunch          string              `query:"PrivateDnsHostnameTypeOnLaunch"`
}

// ModifySubnetAttributeOutput is ModifySubnetAttribute's (empty) response.
type ModifySubnetAttributeOutput struct{}

func (h handlers) modifySubnetAttribute(ctx context.Context, in *ModifySubnetAttributeInput) (*ModifySubnetAttributeOutput, error) {
	attrs := vpc.SubnetAttrs{Fixed: map[string]bool{}, HostnameType: in.PrivateDNSHostnameTypeOnLaunch}
	for _, a := range []struct {
		name string
		v    *AttributeBoolValue
	}{
		{"AssignIpv6AddressOnCreation", in.AssignIpv6AddressOnCreation},
		{"MapCustomerOwnedIpOnLaunch", in.MapCustomerOwnedIPOnLaunch},
		{"EnableDns64", in.EnableDNS64},
		{"EnableResourceNameDnsARecordOnLaunch", in.EnableResourceNameDNSARecordOnLaunch},
		{"EnableResourceNameDnsAAAARecordOnLaunch", in.EnableResourceNameDNSAAAARecordOnLaunch},
	} {
		if a.v != nil {
			attrs.Fixed[a.name] = a.v.Value
		}
	}
	if in.MapPublicIPOnLaunch != nil {
		attrs.MapPublicIP = &in.MapPublicIPOnLaunch.Value
	}
	if err := h.net.ModifySubnetAttribute(ctx, in.SubnetID, attrs); err != nil {
		return nil, err
	}
	return &ModifySubnetAttributeOutput{}, nil
}
