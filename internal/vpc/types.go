package vpc

// The stored documents. Field names are the JSON of vpc_objects.doc: add
// fields freely, never rename or repurpose one.

// VPC is a virtual network.
type VPC struct {
	ID              string            `json:"id"`
	Account         string            `json:"account"`
	CIDRs           []CIDRBlock       `json:"cidrs"` // the primary first
	VNI             uint32            `json:"vni"`
	IsDefault       bool              `json:"isDefault,omitempty"`
	DNSSupport      bool              `json:"dnsSupport"`
	DNSHostnames    bool              `json:"dnsHostnames"`
	NAUMetrics      bool              `json:"nauMetrics,omitempty"`
	InstanceTenancy string            `json:"tenancy"`
	MainRouteTable  string            `json:"mainRouteTable"`
	DefaultNACL     string            `json:"defaultNacl"`
	DefaultSG       string            `json:"defaultSg"`
	Created         int64             `json:"created"`
	Tags            map[string]string `json:"-"`
}

// CIDRBlock is one of a VPC's IPv4 blocks.
type CIDRBlock struct {
	AssociationID string `json:"assoc"`
	Block         string `json:"block"`
}

// Subnet is a range of a VPC in one AZ.
type Subnet struct {
	ID           string `json:"id"`
	Account      string `json:"account"`
	VPC          string `json:"vpc"`
	AZ           string `json:"az"`
	CIDR         string `json:"cidr"`
	MapPublicIP  bool   `json:"mapPublicIp,omitempty"`
	DefaultForAZ bool   `json:"defaultForAz,omitempty"`
	Created      int64  `json:"created"`
	// Available is the count of free addresses, computed on read.
	Available int               `json:"-"`
	Tags      map[string]string `json:"-"`
}

// SecurityGroup is a stateful filter of ENIs.
type SecurityGroup struct {
	ID          string            `json:"id"`
	Account     string            `json:"account"`
	VPC         string            `json:"vpc"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Ingress     []SGRule          `json:"ingress"`
	Egress      []SGRule          `json:"egress"`
	Tags        map[string]string `json:"-"`
}

// SGRule is one flattened rule: one protocol and port range, one peer.
type SGRule struct {
	ID string `json:"id"` // sgr-...
	// Protocol is "-1" (all), or a lower-case name EC2 knows (tcp, udp,
	// icmp, icmpv6) or a number, as EC2 returns it.
	Protocol string `json:"proto"`
	// FromPort and ToPort: the port range for tcp and udp; ICMP type and
	// code for icmp (-1: any); both -1 for "-1".
	FromPort int `json:"from"`
	ToPort   int `json:"to"`
	// Exactly one peer is set.
	CIDRv4      string `json:"cidr4,omitempty"`
	CIDRv6      string `json:"cidr6,omitempty"`
	Group       string `json:"group,omitempty"`
	GroupOwner  string `json:"groupOwner,omitempty"`
	Description string `json:"description,omitempty"`
}

// NACL is a stateless subnet filter.
type NACL struct {
	ID        string            `json:"id"`
	Account   string            `json:"account"`
	VPC       string            `json:"vpc"`
	IsDefault bool              `json:"isDefault,omitempty"`
	Entries   []NACLEntry       `json:"entries"`
	Subnets   []Association     `json:"subnets"`
	Tags      map[string]string `json:"-"`
}

// NACLEntry is one numbered rule (32767 is the implicit deny EC2 shows).
type NACLEntry struct {
	Number   int    `json:"n"`
	Egress   bool   `json:"egress"`
	Protocol string `json:"proto"` // "-1" or a number, as EC2 returns it
	Allow    bool   `json:"allow"`
	CIDRv4   string `json:"cidr4,omitempty"`
	CIDRv6   string `json:"cidr6,omitempty"`
	FromPort *int   `json:"from,omitempty"`
	ToPort   *int   `json:"to,omitempty"`
	ICMPType *int   `json:"icmpType,omitempty"`
	ICMPCode *int   `json:"icmpCode,omitempty"`
}

// Association ties a subnet to a NACL or route table.
type Association struct {
	ID     string `json:"id"`
	Subnet string `json:"subnet"`
}

// RouteTable is a VPC's route table.
type RouteTable struct {
	ID      string            `json:"id"`
	Account string            `json:"account"`
	VPC     string            `json:"vpc"`
	Main    bool              `json:"main,omitempty"`
	MainID  string            `json:"mainAssoc,omitempty"` // the main association's ID
	Routes  []Route           `json:"routes"`
	Subnets []Association     `json:"subnets"`
	Tags    map[string]string `json:"-"`
}

// Route is one destination and its target.
type Route struct {
	Dest string `json:"dest"`
	// Exactly one target: Local, or a gateway, NAT gateway, ENI or
	// instance ID; Blackhole marks a route whose target is gone.
	Local     bool   `json:"local,omitempty"`
	Gateway   string `json:"gateway,omitempty"`
	NAT       string `json:"nat,omitempty"`
	ENI       string `json:"eni,omitempty"`
	Instance  string `json:"instance,omitempty"`
	Blackhole bool   `json:"blackhole,omitempty"`
	Origin    string `json:"origin"` // CreateRouteTable, CreateRoute
}

// InternetGateway connects a VPC to the region's internet segment.
type InternetGateway struct {
	ID      string            `json:"id"`
	Account string            `json:"account"`
	VPC     string            `json:"vpc,omitempty"` // attached VPC
	Tags    map[string]string `json:"-"`
}
