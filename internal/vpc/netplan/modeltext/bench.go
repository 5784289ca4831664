package modeltext

import (
	"fmt"
	"strings"
)

// BenchTopology is the region the planner's and the data plane's
// benchmarks share: one VPC with 10 subnets and 100 ENIs on host h1,
// under three security groups (one referencing another) and one NACL.
// webPort is the first port sg-web allows, so that two values give two
// models one security group rule apart.
func BenchTopology(webPort int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `host h1 192.0.2.1
vpc vpc-a vni=100 cidrs=10.0.0.0/16
rtb rtb vpc=vpc-a main
nacl acl vpc=vpc-a
  in 100 deny tcp 23 0.0.0.0/0
  in 200 allow all - 0.0.0.0/0
  out 100 allow all - 0.0.0.0/0
sg sg-default vpc=vpc-a
  in all - sg-default
  out all - 0.0.0.0/0
sg sg-web vpc=vpc-a
  in tcp %d 0.0.0.0/0
  in tcp 443 0.0.0.0/0
  in tcp 22 10.0.0.0/16
  in icmp 8:-1 10.0.0.0/16
sg sg-db vpc=vpc-a
  in tcp 5432 sg-web
  in udp 5000-6000 10.0.3.0/24
`, webPort)
	for s := range 10 {
		fmt.Fprintf(&b, "subnet sn-%d vpc=vpc-a cidr=10.0.%d.0/24 rtb=rtb nacl=acl\n", s, s)
		for e := range 10 {
			sgs := "sg-default,sg-web"
			if e%2 == 1 {
				sgs = "sg-default,sg-db"
			}
			fmt.Fprintf(&b, "eni eni-%d-%d subnet=sn-%d host=h1 ips=10.0.%d.%d sgs=%s\n", s, e, s, s, 10+e, sgs)
		}
	}
	return b.String()
}
