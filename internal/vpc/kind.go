package vpc

// kind is a resource type of the service: its ID prefix, its EC2 resource
// type (tags, ARNs) and how EC2 names it in errors.
type kind string

const (
	kindVPC    kind = "vpc"
	kindSubnet kind = "subnet"
	kindSG     kind = "security-group"
	kindNACL   kind = "network-acl"
	kindRTB    kind = "route-table"
	kindIGW    kind = "internet-gateway"
	kindENI    kind = "network-interface"
	kindEIP    kind = "elastic-ip"
	kindNAT    kind = "natgateway"
)

var kinds = map[kind]struct{ prefix, noun, code string }{
	kindVPC:    {"vpc-", "vpc", "InvalidVpcID.NotFound"},
	kindSubnet: {"subnet-", "subnet", "InvalidSubnetID.NotFound"},
	kindSG:     {"sg-", "security group", "InvalidGroup.NotFound"},
	kindNACL:   {"acl-", "networkAcl", "InvalidNetworkAclID.NotFound"},
	kindRTB:    {"rtb-", "routeTable", "InvalidRouteTableID.NotFound"},
	kindIGW:    {"igw-", "internetGateway", "InvalidInternetGatewayID.NotFound"},
	kindENI:    {"eni-", "networkInterface", "InvalidNetworkInterfaceID.NotFound"},
	kindEIP:    {"eipalloc-", "allocation", "InvalidAllocationID.NotFound"},
	kindNAT:    {"nat-", "natGateway", "NatGatewayNotFound"},
}

func (k kind) prefix() string       { return kinds[k].prefix }
func (k kind) noun() string         { return kinds[k].noun }
func (k kind) notFoundCode() string { return kinds[k].code }

// kindOf tells a resource ID's kind from its prefix.
func kindOf(id string) (kind, bool) {
	for k, v := range kinds {
		if len(id) > len(v.prefix) && id[:len(v.prefix)] == v.prefix {
			return k, true
		}
	}
	return "", false
}
