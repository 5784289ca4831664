package vpc

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/ec2/zone"
	"github.com/nimbuscloud/nimbus/internal/store"
	"github.com/nimbuscloud/nimbus/internal/vpc/cidr"
)

// CreateSubnetInput is CreateSubnet's request.
type CreateSubnetInput struct {
	VPC  string
	CIDR string
	AZ   string // name; empty: AZID, else the first AZ
	AZID string
	Tags map[string]string
}

// ZoneID is az's zone ID.
func (s *Service) ZoneID(az string) string { return zone.ID(s.opt.Region, az) }

// resolveAZ picks the subnet's AZ from a name or zone ID.
func (s *Service) resolveAZ(name, id string) (string, error) {
	switch {
	case name != "":
		if !slices.Contains(s.opt.AZs, name) {
			return "", invalidParam("Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %s.", name, strings.Join(s.opt.AZs, ", "))
		}
		return name, nil
	case id != "":
		for _, az := range s.opt.AZs {
			if s.ZoneID(az) == id {
				return az, nil
			}
		}
		return "", invalidParam("Value (%s) for parameter availabilityZoneId is invalid.", id)
	}
	return s.opt.AZs[0], nil
}

// CreateSubnet creates a subnet in one of the VPC's blocks, associated with
// the VPC's default network ACL (and, implicitly, its main route table).
func (s *Service) CreateSubnet(ctx context.Context, in CreateSubnetInput) (*Subnet, error) {
	acct, err := s.begin(ctx, "CreateSubnet", func(a string) string { return s.arn(kindSubnet, a, "*") })
	if err != nil {
		return nil, err
	}
	if in.VPC == "" {
		return nil, missingParam("vpcId")
	}
	if in.CIDR == "" {
		return nil, missingParam("cidrBlock")
	}
	block, err := cidr.ParseBlock(in.CIDR)
	if err != nil {
		return nil, fromCIDR(err)
	}
	az, err := s.resolveAZ(in.AZ, in.AZID)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if err := s.ensureDefault(ctx, acct); err != nil {
		return nil, err
	}
	id, err := s.newID("subnet-")
	if err != nil {
		return nil, err
	}
	assoc, err := s.newID("aclassoc-")
	if err != nil {
		return nil, err
	}
	var sn *Subnet
	err = s.update(ctx, func(tx store.Tx) error {
		v, err := getDoc[VPC](ctx, tx, kindVPC, acct, in.VPC)
		if err != nil {
			return err
		}
		sn = &Subnet{ID: id, Account: acct, VPC: v.ID, AZ: az, CIDR: block.String(), Created: s.now(), Tags: in.Tags}
		if err := s.insertSubnet(ctx, tx, v, sn, block, assoc); err != nil {
			return err
		}
		sn.Available = cidr.Usable(block)
		return setTags(ctx, tx, acct, kindSubnet, sn.ID, in.Tags)
	})
	if err != nil {
		return nil, err
	}
	return sn, nil
}

// insertSubnet checks sn's block against the VPC and its other subnets and
// writes it, associated with the VPC's default NACL.
func (s *Service) insertSubnet(ctx context.Context, tx store.Tx, v *VPC, sn *Subnet, block netip.Prefix, aclAssoc string) error {
	others, err := listDocs[Subnet](ctx, tx, kindSubnet, v.Account, v.ID)
	if err != nil {
		return err
	}
	var vpcBlocks, taken []netip.Prefix
	for _, c := range v.CIDRs {
		vpcBlocks = append(vpcBlocks, netip.MustParsePrefix(c.Block))
	}
	for _, o := range others {
		taken = append(taken, netip.MustParsePrefix(o.CIDR))
	}
	if err := cidr.CheckSubnet(vpcBlocks, taken, block); err != nil {
		return fromCIDR(err)
	}
	acl, err := getDoc[NACL](ctx, tx, kindNACL, v.Account, v.DefaultNACL)
	if err != nil {
		return err
	}
	acl.Subnets = append(acl.Subnets, Association{ID: aclAssoc, Subnet: sn.ID})
	if err := putDoc(ctx, tx, kindNACL, v.Account, v.ID, acl.ID, sn.Created, acl); err != nil {
		return err
	}
	return putDoc(ctx, tx, kindSubnet, v.Account, v.ID, sn.ID, sn.Created, sn)
}

// usedAddresses counts a subnet's allocated addresses.
func usedAddresses(ctx context.Context, tx store.Tx, subnet string) (int, error) {
	var n int64
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM vpc_addresses WHERE subnet_id = ?`, subnet).Scan(&n)
	return int(n), err
}

// DescribeSubnets lists the caller's subnets.
func (s *Service) DescribeSubnets(ctx context.Context, ids []string, filters []Filter) ([]*Subnet, error) {
	acct, err := s.begin(ctx, "DescribeSubnets", nil)
	if err != nil {
		return nil, err
	}
	if err := s.ensureDefault(ctx, acct); err != nil {
		return nil, err
	}
	var out []*Subnet
	err = s.st.View(ctx, func(tx store.Tx) error {
		out = nil
		all, err := listDocs[Subnet](ctx, tx, kindSubnet, acct, "")
		if err != nil {
			return err
		}
		if err := missingIDs(ids, all, func(v *Subnet) string { return v.ID }, kindSubnet); err != nil {
			return err
		}
		tags, err := tagsOf(ctx, tx, acct, kindSubnet)
		if err != nil {
			return err
		}
		for _, sn := range all {
			if !selected(ids, sn.ID) {
				continue
			}
			sn.Tags = tags[sn.ID]
			used, err := usedAddresses(ctx, tx, sn.ID)
			if err != nil {
				return err
			}
			sn.Available = cidr.Available(netip.MustParsePrefix(sn.CIDR), used)
			ok, err := match(filters, fieldMap{
				"subnet-id": sn.ID, "vpc-id": sn.VPC, "cidr-block": sn.CIDR, "cidr": sn.CIDR, "cidrBlock": sn.CIDR,
				"availability-zone": sn.AZ, "availabilityZone": sn.AZ, "availability-zone-id": s.ZoneID(sn.AZ),
				"state": "available", "default-for-az": strconv.FormatBool(sn.DefaultForAZ), "defaultForAz": strconv.FormatBool(sn.DefaultForAZ),
				"map-public-ip-on-launch": strconv.FormatBool(sn.MapPublicIP), "owner-id": sn.Account,
				"available-ip-address-count": strconv.Itoa(sn.Available),
			}, sn.Tags)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, sn)
			}
		}
		return nil
	})
	return out, err
}

// DeleteSubnet deletes a subnet that holds no network interfaces.
func (s *Service) DeleteSubnet(ctx context.Context, id string) error {
	acct, err := s.begin(ctx, "DeleteSubnet", func(a string) string { return s.arn(kindSubnet, a, id) })
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx store.Tx) error {
		sn, err := getDoc[Subnet](ctx, tx, kindSubnet, acct, id)
		if err != nil {
			return err
		}
		if used, err := usedAddresses(ctx, tx, sn.ID); err != nil {
			return err
		} else if used > 0 {
			return dependency(id, "subnet")
		}
		// Drop its NACL and route-table associations.
		acls, err := listDocs[NACL](ctx, tx, kindNACL, acct, sn.VPC)
		if err != nil {
			return err
		}
		for _, a := range acls {
			if n := len(a.Subnets); n > 0 {
				a.Subnets = slices.DeleteFunc(a.Subnets, func(x Association) bool { return x.Subnet == sn.ID })
				if len(a.Subnets) != n {
					if err := putDoc(ctx, tx, kindNACL, acct, a.VPC, a.ID, 0, a); err != nil {
						return err
					}
				}
			}
		}
		rts, err := listDocs[RouteTable](ctx, tx, kindRTB, acct, sn.VPC)
		if err != nil {
			return err
		}
		for _, rt := range rts {
			if n := len(rt.Subnets); n > 0 {
				rt.Subnets = slices.DeleteFunc(rt.Subnets, func(x Association) bool { return x.Subnet == sn.ID })
				if len(rt.Subnets) != n {
					if err := putDoc(ctx, tx, kindRTB, acct, rt.VPC, rt.ID, 0, rt); err != nil {
						return err
					}
				}
			}
		}
		return deleteDoc(ctx, tx, sn.ID)
	})
}

// SubnetAttrs is what ModifySubnetAttribute asks. Only MapPublicIP can
// change here; the other attributes have one value in this region (no
// IPv6, no customer-owned IPs, no DNS64, ip-name hostnames), which
// clients such as Terraform still send: asking for that value is
// accepted and changes nothing, asking for another is refused.
type SubnetAttrs struct {
	MapPublicIP *bool
	// Fixed are the boolean attributes named, by EC2 name, with the
	// value asked (e.g. "EnableDns64": false).
	Fixed        map[string]bool
	HostnameType string // PrivateDnsHostnameTypeOnLaunch, "" if not asked
}

// ModifySubnetAttribute sets a subnet's attributes.
func (s *Service) ModifySubnetAttribute(ctx context.Context, id string, in SubnetAttrs) error {
	acct, err := s.begin(ctx, "ModifySubnetAttribute", func(a string) string { return s.arn(kindSubnet, a, id) })
	if err != nil {
		return err
	}
	for name, v := range in.Fixed {
		if v {
			return invalidParam("The subnet attribute %s cannot be enabled in this region.", name)
		}
	}
	if t := in.HostnameType; t != "" && t != "ip-name" {
		return invalidParam("Value (%s) for parameter PrivateDnsHostnameTypeOnLaunch is not supported in this region: only ip-name.", t)
	}
	if in.MapPublicIP == nil && len(in.Fixed) == 0 && in.HostnameType == "" {
		return missingParam("MapPublicIpOnLaunch")
	}
	return s.update(ctx, func(tx store.Tx) error {
		sn, err := getDoc[Subnet](ctx, tx, kindSubnet, acct, id)
		if err != nil || in.MapPublicIP == nil {
			return err
		}
		sn.MapPublicIP = *in.MapPublicIP
		return putDoc(ctx, tx, kindSubnet, acct, sn.VPC, sn.ID, sn.Created, sn)
	})
}
