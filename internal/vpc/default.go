package vpc

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// defaultVPCBlock is the default VPC's block, and each default subnet is a
// /20 of it, one per AZ in order, as EC2's.
var defaultVPCBlock = netip.MustParsePrefix("172.31.0.0/16")

// ensureDefault creates the account's default VPC the first time the
// account uses the service, as EC2 has one ready in every region: the VPC,
// a default subnet per AZ (public IPs on launch), an internet gateway
// attached, and the main route table sending 0.0.0.0/0 to it. It is made
// once: deleting it does not bring it back.
func (s *Service) ensureDefault(ctx context.Context, acct string) error {
	if _, ok := s.defaults.Load(acct); ok {
		return nil
	}
	have := false
	err := s.st.View(ctx, func(tx store.Tx) error {
		var n int64
		err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM vpc_defaults WHERE account_id = ?`, acct).Scan(&n)
		have = n > 0
		return err
	})
	if err != nil {
		return err
	}
	if !have && isDryRun(ctx) {
		return nil // a dry run changes nothing, the default VPC included
	}
	if !have {
		if err := s.createDefault(ctx, acct); err != nil {
			return fmt.Errorf("vpc: default VPC of %s: %w", acct, err)
		}
	}
	s.defaults.Store(acct, true)
	return nil
}

func (s *Service) createDefault(ctx context.Context, acct string) error {
	ids, err := s.newVPCIDs()
	if err != nil {
		return err
	}
	igw, err := s.newID("igw-")
	if err != nil {
		return err
	}
	subnetIDs := make([][2]string, len(s.opt.AZs))
	for i := range subnetIDs {
		if subnetIDs[i][0], err = s.newID("subnet-"); err != nil {
			return err
		}
		if subnetIDs[i][1], err = s.newID("aclassoc-"); err != nil {
			return err
		}
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		n, err := tx.Exec(ctx, `INSERT INTO vpc_defaults (account_id, vpc_id) VALUES (?, ?) ON CONFLICT (account_id) DO NOTHING`, acct, ids.vpc)
		if err != nil || n == 0 {
			return err // another request made it
		}
		v, err := s.insertVPC(ctx, tx, acct, defaultVPCBlock, ids, true)
		if err != nil {
			return err
		}
		now := s.now()
		if err := putDoc(ctx, tx, kindIGW, acct, v.ID, igw, now, &InternetGateway{ID: igw, Account: acct, VPC: v.ID}); err != nil {
			return err
		}
		rt, err := getDoc[RouteTable](ctx, tx, kindRTB, acct, v.MainRouteTable)
		if err != nil {
			return err
		}
		rt.Routes = append(rt.Routes, Route{Dest: "0.0.0.0/0", Gateway: igw, Origin: "CreateRoute"})
		if err := putDoc(ctx, tx, kindRTB, acct, v.ID, rt.ID, now, rt); err != nil {
			return err
		}
		base := defaultVPCBlock.Addr().As4()
		for i, az := range s.opt.AZs {
			if i >= 16 {
				break
			}
			b := base
			b[2] = byte(i * 16)
			block := netip.PrefixFrom(netip.AddrFrom4(b), 20)
			sn := &Subnet{ID: subnetIDs[i][0], Account: acct, VPC: v.ID, AZ: az, CIDR: block.String(), MapPublicIP: true, DefaultForAZ: true, Created: now}
			if err := s.insertSubnet(ctx, tx, v, sn, block, subnetIDs[i][1]); err != nil {
				return err
			}
		}
		return nil
	})
}
