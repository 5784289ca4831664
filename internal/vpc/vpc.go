package vpc

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"

	"github.com/nimbuscloud/nimbus/internal/store"
	"github.com/nimbuscloud/nimbus/internal/vpc/cidr"
)

// maxVPCs is EC2's default VPCs-per-region quota.
const maxVPCs = 5

// CreateVPCInput is CreateVpc's request.
type CreateVPCInput struct {
	CIDR    string
	Tenancy string // default (dedicated is refused: one tenancy here)
	Tags    map[string]string
}

// vpcIDs are the IDs a new VPC and its default objects get, drawn before
// the transaction (whose function may run more than once).
type vpcIDs struct {
	vpc, cidrAssoc, rtb, rtbAssoc, nacl, sg string
	sgRules                                 [2]string
	vnis                                    []uint32
}

func (s *Service) newVPCIDs() (vpcIDs, error) {
	var ids vpcIDs
	var err error
	for _, p := range []struct {
		dst    *string
		prefix string
	}{{&ids.vpc, "vpc-"}, {&ids.cidrAssoc, "vpc-cidr-assoc-"}, {&ids.rtb, "rtb-"}, {&ids.rtbAssoc, "rtbassoc-"},
		{&ids.nacl, "acl-"}, {&ids.sg, "sg-"}, {&ids.sgRules[0], "sgr-"}, {&ids.sgRules[1], "sgr-"}} {
		if *p.dst, err = s.newID(p.prefix); err != nil {
			return ids, err
		}
	}
	var b [4 * 8]byte
	if _, err := io.ReadFull(s.opt.Rand, b[:]); err != nil {
		return ids, fmt.Errorf("vpc: random: %w", err)
	}
	for i := 0; i < len(b); i += 4 {
		// VNIs from 4096 up: low numbers stay free for operators' own use.
		ids.vnis = append(ids.vnis, 4096+binary.BigEndian.Uint32(b[i:])%(1<<24-4096))
	}
	return ids, nil
}

// CreateVpc creates a VPC with its main route table, default network ACL
// and default security group, as EC2 does.
func (s *Service) CreateVpc(ctx context.Context, in CreateVPCInput) (*VPC, error) {
	acct, err := s.begin(ctx, "CreateVpc", func(a string) string { return s.arn(kindVPC, a, "*") })
	if err != nil {
		return nil, err
	}
	if in.CIDR == "" {
		return nil, missingParam("cidrBlock")
	}
	block, err := cidr.ParseBlock(in.CIDR)
	if err != nil {
		return nil, fromCIDR(err)
	}
	if err := cidr.CheckVPCBlock(block); err != nil {
		return nil, fromCIDR(err)
	}
	switch in.Tenancy {
	case "", "default":
	case "dedicated", "host":
		return nil, errorf("InvalidParameterCombination", "Instance tenancy '%s' is not supported by this region: every instance shares its hosts", in.Tenancy)
	default:
		return nil, invalidParam("Value (%s) for parameter instanceTenancy is invalid.", in.Tenancy)
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if err := s.ensureDefault(ctx, acct); err != nil {
		return nil, err
	}
	ids, err := s.newVPCIDs()
	if err != nil {
		return nil, err
	}
	var v *VPC
	err = s.update(ctx, func(tx store.Tx) error {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM vpc_objects WHERE account_id = ? AND kind = ?`, acct, string(kindVPC)).Scan(&n); err != nil {
			return err
		}
		if n >= maxVPCs {
			return errorf("VpcLimitExceeded", "The maximum number of VPCs has been reached.")
		}
		var err error
		v, err = s.insertVPC(ctx, tx, acct, block, ids, false)
		if err != nil {
			return err
		}
		v.Tags = in.Tags
		return setTags(ctx, tx, acct, kindVPC, v.ID, in.Tags)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// insertVPC writes a VPC and its main route table, default NACL and
// default security group.
func (s *Service) insertVPC(ctx context.Context, tx store.Tx, acct string, block netip.Prefix, ids vpcIDs, isDefault bool) (*VPC, error) {
	now := s.now()
	v := &VPC{
		ID: ids.vpc, Account: acct, CIDRs: []CIDRBlock{{AssociationID: ids.cidrAssoc, Block: block.String()}},
		IsDefault: isDefault, DNSSupport: true, DNSHostnames: isDefault, InstanceTenancy: "default",
		MainRouteTable: ids.rtb, DefaultNACL: ids.nacl, DefaultSG: ids.sg, Created: now,
	}
	vni, err := claimVNI(ctx, tx, ids.vpc, ids.vnis)
	if err != nil {
		return nil, err
	}
	v.VNI = vni
	rt := &RouteTable{ID: ids.rtb, Account: acct, VPC: v.ID, Main: true, MainID: ids.rtbAssoc,
		Routes: []Route{{Dest: block.String(), Local: true, Origin: "CreateRouteTable"}}}
	acl := &NACL{ID: ids.nacl, Account: acct, VPC: v.ID, IsDefault: true, Entries: defaultNACLEntries()}
	sg := &SecurityGroup{ID: ids.sg, Account: acct, VPC: v.ID, Name: "default", Description: "default VPC security group",
		Ingress: []SGRule{{ID: ids.sgRules[0], Protocol: "-1", FromPort: -1, ToPort: -1, Group: ids.sg, GroupOwner: acct}},
		Egress:  []SGRule{{ID: ids.sgRules[1], Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"}}}
	for _, o := range []struct {
		k   kind
		id  string
		doc any
	}{{kindVPC, v.ID, v}, {kindRTB, rt.ID, rt}, {kindNACL, acl.ID, acl}, {kindSG, sg.ID, sg}} {
		if err := putDoc(ctx, tx, o.k, acct, v.ID, o.id, now, o.doc); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// defaultNACLEntries allow everything both ways (rule 100), above the
// implicit deny (32767), as a VPC's default network ACL.
func defaultNACLEntries() []NACLEntry {
	var out []NACLEntry
	for _, egress := range []bool{false, true} {
		out = append(out,
			NACLEntry{Number: 100, Egress: egress, Protocol: "-1", Allow: true, CIDRv4: "0.0.0.0/0"},
			NACLEntry{Number: 32767, Egress: egress, Protocol: "-1", Allow: false, CIDRv4: "0.0.0.0/0"})
	}
	return out
}

// claimVNI takes the first free candidate VNI for the VPC.
func claimVNI(ctx context.Context, tx store.Tx, vpc string, candidates []uint32) (uint32, error) {
	for _, vni := range candidates {
		n, err := tx.Exec(ctx, `INSERT INTO vpc_vnis (vni, vpc_id) VALUES (?, ?) ON CONFLICT (vni) DO NOTHING`, int64(vni), vpc)
		if err != nil {
			return 0, err
		}
		if n == 1 {
			return vni, nil
		}
	}
	return 0, fmt.Errorf("vpc: no free VNI among %d random candidates", len(candidates))
}

// DescribeVpcs lists the caller's VPCs.
func (s *Service) DescribeVpcs(ctx context.Context, ids []string, filters []Filter) ([]*VPC, error) {
	acct, err := s.begin(ctx, "DescribeVpcs", nil)
	if err != nil {
		return nil, err
	}
	if err := s.ensureDefault(ctx, acct); err != nil {
		return nil, err
	}
	var out []*VPC
	err = s.st.View(ctx, func(tx store.Tx) error {
		out = nil
		all, err := listDocs[VPC](ctx, tx, kindVPC, acct, "")
		if err != nil {
			return err
		}
		tags, err := tagsOf(ctx, tx, acct, kindVPC)
		if err != nil {
			return err
		}
		if err := missingIDs(ids, all, func(v *VPC) string { return v.ID }, kindVPC); err != nil {
			return err
		}
		for _, v := range all {
			v.Tags = tags[v.ID]
			if !selected(ids, v.ID) {
				continue
			}
			blocks := make([]string, len(v.CIDRs))
			assocs := make([]string, len(v.CIDRs))
			for i, c := range v.CIDRs {
				blocks[i], assocs[i] = c.Block, c.AssociationID
			}
			ok, err := match(filters, fieldMap{
				"vpc-id": v.ID, "cidr": v.CIDRs[0].Block, "state": "available", "is-default": strconv.FormatBool(v.IsDefault),
				"owner-id": v.Account, "dhcp-options-id": "default", "instance-tenancy": v.InstanceTenancy,
			}, v.Tags, map[string][]string{"cidr-block-association.cidr-block": blocks, "cidr-block-association.association-id": assocs,
				"cidr-block-association.state": slices.Repeat([]string{"associated"}, len(blocks))})
			if err != nil {
				return err
			}
			if ok {
				out = append(out, v)
			}
		}
		return nil
	})
	return out, err
}

// missingIDs fails with kind's NotFound for the first requested ID absent
// from all, as EC2 fails a Describe that names a missing resource.
func missingIDs[T any](ids []string, all []*T, idOf func(*T) string, k kind) error {
	for _, id := range ids {
		if !slices.ContainsFunc(all, func(v *T) bool { return idOf(v) == id }) {
			return notFound(k, id)
		}
	}
	return nil
}

// DeleteVpc deletes a VPC with nothing left in it but its default objects.
func (s *Service) DeleteVpc(ctx context.Context, id string) error {
	acct, err := s.begin(ctx, "DeleteVpc", func(a string) string { return s.arn(kindVPC, a, id) })
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx store.Tx) error {
		v, err := getDoc[VPC](ctx, tx, kindVPC, acct, id)
		if err != nil {
			return err
		}
		// What blocks deletion: subnets, gateways, ENIs, and any route
		// table, NACL or security group the user created.
		for _, k := range []kind{kindSubnet, kindIGW, kindENI, kindNAT} {
			n, err := countDocs(ctx, tx, k, v.ID)
			if err != nil {
				return err
			}
			if n > 0 {
				return dependency(id, "vpc")
			}
		}
		for k, def := range map[kind]string{kindRTB: v.MainRouteTable, kindNACL: v.DefaultNACL, kindSG: v.DefaultSG} {
			n, err := countDocs(ctx, tx, k, v.ID)
			if err != nil {
				return err
			}
			if n > 1 || (n == 1 && def == "") {
				return dependency(id, "vpc")
			}
		}
		for _, oid := range []string{v.MainRouteTable, v.DefaultNACL, v.DefaultSG, v.ID} {
			if err := deleteDoc(ctx, tx, oid); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM vpc_vnis WHERE vpc_id = ?`, v.ID)
		return err
	})
}

// VPC attribute names of Describe/ModifyVpcAttribute.
const (
	AttrDNSSupport   = "enableDnsSupport"
	AttrDNSHostnames = "enableDnsHostnames"
	AttrNAUMetrics   = "enableNetworkAddressUsageMetrics"
)

// DescribeVpcAttribute returns one boolean attribute.
func (s *Service) DescribeVpcAttribute(ctx context.Context, id, attr string) (bool, error) {
	acct, err := s.begin(ctx, "DescribeVpcAttribute", func(a string) string { return s.arn(kindVPC, a, id) })
	if err != nil {
		return false, err
	}
	var v *VPC
	err = s.st.View(ctx, func(tx store.Tx) error {
		var err error
		v, err = getDoc[VPC](ctx, tx, kindVPC, acct, id)
		return err
	})
	if err != nil {
		return false, err
	}
	switch attr {
	case AttrDNSSupport:
		return v.DNSSupport, nil
	case AttrDNSHostnames:
		return v.DNSHostnames, nil
	case AttrNAUMetrics:
		return v.NAUMetrics, nil
	case "":
		return false, missingParam("attribute")
	}
	return false, invalidParam("Value (%s) for parameter attribute is invalid. Unknown attribute.", attr)
}

// ModifyVpcAttribute sets one boolean attribute.
func (s *Service) ModifyVpcAttribute(ctx context.Context, id, attr string, value bool) error {
	acct, err := s.begin(ctx, "ModifyVpcAttribute", func(a string) string { return s.arn(kindVPC, a, id) })
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx store.Tx) error {
		v, err := getDoc[VPC](ctx, tx, kindVPC, acct, id)
		if err != nil {
			return err
		}
		switch attr {
		case AttrDNSSupport:
			v.DNSSupport = value
		case AttrDNSHostnames:
			if value && !v.DNSSupport {
				return errorf("InvalidParameterCombination", "Cannot enable DNS hostnames without DNS support.")
			}
			v.DNSHostnames = value
		case AttrNAUMetrics:
			v.NAUMetrics = value
		default:
			return missingParam("EnableDnsSupport, EnableDnsHostnames or EnableNetworkAddressUsageMetrics")
		}
		return putDoc(ctx, tx, kindVPC, acct, v.ID, v.ID, v.Created, v)
	})
}
