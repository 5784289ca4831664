package modeltext

import (
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

func TestParse(t *testing.T) {
	m, err := Parse(`
host h1 192.0.2.1
vpc vpc-a vni=7 cidrs=10.0.0.0/16
subnet sn vpc=vpc-a cidr=10.0.1.0/24 rtb=rtb nacl=acl
sg sg vpc=vpc-a
  in icmp 8:-1 10.0.0.0/8   # any code
  out tcp 80-90 sg
nacl acl vpc=vpc-a
  in 100 deny udp 53 0.0.0.0/0
eni eni-n subnet=sn host=h1 ips=10.0.1.5 public=198.18.0.5
natgw nat subnet=sn eni=eni-n
`)
	if err != nil {
		t.Fatal(err)
	}
	sg := m.SecurityGroups[0]
	if r := sg.Ingress[0]; r.Protocol != netmodel.ICMP || r.FromPort != 8 || r.ToPort != -1 {
		t.Errorf("icmp rule: %+v", r)
	}
	if r := sg.Egress[0]; r.Protocol != netmodel.TCP || r.FromPort != 80 || r.ToPort != 90 || r.Group != "sg" {
		t.Errorf("tcp rule: %+v", r)
	}
	if e := m.ENIs[0]; e.Kind != netmodel.ENINAT || e.VPC != "vpc-a" || !e.SourceDestCheck || e.MAC == "" {
		t.Errorf("eni: %+v", e)
	}
	if g := m.NATGateways[0]; g.VPC != "vpc-a" {
		t.Errorf("natgw: %+v", g)
	}
	_, err = Parse("host h1 192.0.2.1\nvpc v vni=x\n")
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad vni: %v", err)
	}
}
