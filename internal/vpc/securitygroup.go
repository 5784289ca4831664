package vpc

import (
	"context"
	"slices"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// CreateSecurityGroupInput is CreateSecurityGroup's request.
type CreateSecurityGroupInput struct {
	Name, Description, VPC string // no VPC: the default VPC
	Tags                   map[string]string
}

// CreateSecurityGroup creates a group that allows all egress and no
// ingress, as EC2's.
func (s *Service) CreateSecurityGroup(ctx context.Context, in CreateSecurityGroupInput) (*SecurityGroup, error) {
	acct, err := s.begin(ctx, "CreateSecurityGroup", func(a string) string { return s.arn(kindSG, a, "*") })
	if err != nil {
		return nil, err
	}
	switch {
	case in.Name == "":
		return nil, missingParam("groupName")
	case in.Description == "":
		return nil, missingParam("groupDescription")
	case len(in.Name) > 255:
		return nil, invalidParam("Invalid security group name: it is longer than 255 characters")
	case len(in.Description) > 255:
		return nil, invalidParam("Invalid security group description: it is longer than 255 characters")
	case strings.HasPrefix(in.Name, "sg-"):
		return nil, invalidParam("Group names may not be in the format sg-*.")
	case in.Name == "default":
		return nil, errorf("InvalidGroup.Reserved", "The security group 'default' is reserved")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if err := s.ensureDefault(ctx, acct); err != nil {
		return nil, err
	}
	id, err := s.newID("sg-")
	if err != nil {
		return nil, err
	}
	rule, err := s.newID("sgr-")
	if err != nil {
		return nil, err
	}
	var sg *SecurityGroup
	err = s.update(ctx, func(tx store.Tx) error {
		vpcID := in.VPC
		if vpcID == "" {
			if err := tx.QueryRow(ctx, `SELECT vpc_id FROM vpc_defaults WHERE account_id = ?`, acct).Scan(&vpcID); err != nil {
				return errorf("VPCIdNotSpecified", "No default VPC for this user")
			}
		}
		v, err := getDoc[VPC](ctx, tx, kindVPC, acct, vpcID)
		if err != nil {
			return err
		}
		if g, err := groupByName(ctx, tx, acct, v.ID, in.Name); err != nil {
			return err
		} else if g != nil {
			return errorf("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", in.Name, v.ID)
		}
		sg = &SecurityGroup{ID: id, Account: acct, VPC: v.ID, Name: in.Name, Description: in.Description, Ingress: []SGRule{},
			Egress: []SGRule{{ID: rule, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"}}, Tags: in.Tags}
		if err := putDoc(ctx, tx, kindSG, acct, v.ID, sg.ID, s.now(), sg); err != nil {
			return err
		}
		return setTags(ctx, tx, acct, kindSG, sg.ID, in.Tags)
	})
	if err != nil {
		return nil, err
	}
	return sg, nil
}

// groupByName finds a VPC's group by name (nil if none).
func groupByName(ctx context.Context, tx store.Tx, acct, vpc, name string) (*SecurityGroup, error) {
	all, err := listDocs[SecurityGroup](ctx, tx, kindSG, acct, vpc)
	if err != nil {
		return nil, err
	}
	for _, g := range all {
		if g.Name == name {
			return g, nil
		}
	}
	return nil, nil
}

// resolveGroup finds a group by ID, or by name in the default VPC (EC2's
// GroupName parameters name default-VPC groups).
func resolveGroup(ctx context.Context, tx store.Tx, acct, id, name string) (*SecurityGroup, error) {
	if id != "" {
		return getDoc[SecurityGroup](ctx, tx, kindSG, acct, id)
	}
	if name == "" {
		return nil, missingParam("groupId")
	}
	var vpcID string
	if err := tx.QueryRow(ctx, `SELECT vpc_id FROM vpc_defaults WHERE account_id = ?`, acct).Scan(&vpcID); err != nil {
		return nil, errorf("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC", name)
	}
	g, err := groupByName(ctx, tx, acct, vpcID, name)
	if err == nil && g == nil {
		err = errorf("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC '%s'", name, vpcID)
	}
	return g, err
}

// DescribeSecurityGroups lists the caller's groups; names select groups of
// the default VPC.
func (s *Service) DescribeSecurityGroups(ctx context.Context, ids, names []string, filters []Filter) ([]*SecurityGroup, error) {
	acct, err := s.begin(ctx, "DescribeSecurityGroups", nil)
	if err != nil {
		return nil, err
	}
	return s.describeGroups(ctx, acct, ids, names, filters)
}

// describeGroups is DescribeSecurityGroups once authorized.
func (s *Service) describeGroups(ctx context.Context, acct string, reqIDs, names []string, filters []Filter) ([]*SecurityGroup, error) {
	if err := s.ensureDefault(ctx, acct); err != nil {
		return nil, err
	}
	var out []*SecurityGroup
	err := s.st.View(ctx, func(tx store.Tx) error {
		out = nil
		ids := slices.Clone(reqIDs)
		for _, n := range names {
			g, err := resolveGroup(ctx, tx, acct, "", n)
			if err != nil {
				return err
			}
			ids = append(ids, g.ID)
		}
		all, err := listDocs[SecurityGroup](ctx, tx, kindSG, acct, "")
		if err != nil {
			return err
		}
		if err := missingIDs(ids, all, func(g *SecurityGroup) string { return g.ID }, kindSG); err != nil {
			return err
		}
		tags, err := tagsOf(ctx, tx, acct, kindSG)
		if err != nil {
			return err
		}
		for _, g := range all {
			if !selected(ids, g.ID) {
				continue
			}
			g.Tags = tags[g.ID]
			ok, err := match(filters, fieldMap{"group-id": g.ID, "group-name": g.Name, "vpc-id": g.VPC, "description": g.Description, "owner-id": g.Account},
				g.Tags, ruleFields(g))
			if err != nil {
				return err
			}
			if ok {
				out = append(out, g)
			}
		}
		return nil
	})
	return out, err
}

// ruleFields are a group's multi-valued rule filters.
func ruleFields(g *SecurityGroup) map[string][]string {
	m := map[string][]string{}
	add := func(prefix string, rules []SGRule) {
		for _, r := range rules {
			m[prefix+"protocol"] = append(m[prefix+"protocol"], r.Protocol)
			if r.CIDRv4 != "" {
				m[prefix+"cidr"] = append(m[prefix+"cidr"], r.CIDRv4)
			}
			if r.CIDRv6 != "" {
				m[prefix+"ipv6-cidr"] = append(m[prefix+"ipv6-cidr"], r.CIDRv6)
			}
			if r.Group != "" {
				m[prefix+"group-id"] = append(m[prefix+"group-id"], r.Group)
			}
		}
		for _, k := range []string{"protocol", "cidr", "ipv6-cidr", "group-id"} {
			if m[prefix+k] == nil {
				m[prefix+k] = []string{}
			}
		}
	}
	add("ip-permission.", g.Ingress)
	add("egress.ip-permission.", g.Egress)
	return m
}

// DeleteSecurityGroup deletes a group no ENI uses and no other group's rule
// references. A VPC's default group cannot be deleted.
// It returns the deleted group's ID.
func (s *Service) DeleteSecurityGroup(ctx context.Context, id, name string) (string, error) {
	acct, err := account(ctx)
	if err != nil {
		return "", err
	}
	var deleted string
	err = s.update(ctx, func(tx store.Tx) error {
		g, err := resolveGroup(ctx, tx, acct, id, name)
		if err != nil {
			return err
		}
		deleted = g.ID
		if err := s.authorize(ctx, "DeleteSecurityGroup", s.arn(kindSG, acct, g.ID)); err != nil {
			return err
		}
		if g.Name == "default" {
			return errorf("CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", g.ID)
		}
		others, err := listDocs[SecurityGroup](ctx, tx, kindSG, acct, g.VPC)
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.ID == g.ID {
				continue
			}
			for _, r := range append(append([]SGRule{}, o.Ingress...), o.Egress...) {
				if r.Group == g.ID {
					return errorf("DependencyViolation", "resource %s has a dependent object", g.ID)
				}
			}
		}
		enis, err := listDocs[ENIDoc](ctx, tx, kindENI, acct, g.VPC)
		if err != nil {
			return err
		}
		for _, e := range enis {
			for _, x := range e.Groups {
				if x == g.ID {
					return errorf("DependencyViolation", "resource %s has a dependent object", g.ID)
				}
			}
		}
		return deleteDoc(ctx, tx, g.ID)
	})
	return deleted, err
}

// ENIDoc is the part of a stored network interface other resources read.
type ENIDoc struct {
	ID     string   `json:"id"`
	Subnet string   `json:"subnet"`
	Groups []string `json:"groups"`
}
