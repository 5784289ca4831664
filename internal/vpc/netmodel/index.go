package netmodel

// Index looks a Model's objects up by ID. It points into the Model, which
// must not change while the Index is used.
type Index struct {
	VPC             map[string]*VPC
	Subnet          map[string]*Subnet
	ENI             map[string]*ENI
	SecurityGroup   map[string]*SecurityGroup
	NACL            map[string]*NACL
	RouteTable      map[string]*RouteTable
	InternetGateway map[string]*InternetGateway
	NATGateway      map[string]*NATGateway
	Host            map[string]*Host
	// GroupMembers lists, per security group ID, the ENIs that carry it.
	GroupMembers map[string][]*ENI
}

// NewIndex indexes m.
func NewIndex(m *Model) *Index {
	x := &Index{
		VPC:             make(map[string]*VPC, len(m.VPCs)),
		Subnet:          make(map[string]*Subnet, len(m.Subnets)),
		ENI:             make(map[string]*ENI, len(m.ENIs)),
		SecurityGroup:   make(map[string]*SecurityGroup, len(m.SecurityGroups)),
		NACL:            make(map[string]*NACL, len(m.NACLs)),
		RouteTable:      make(map[string]*RouteTable, len(m.RouteTables)),
		InternetGateway: make(map[string]*InternetGateway, len(m.InternetGateways)),
		NATGateway:      make(map[string]*NATGateway, len(m.NATGateways)),
		Host:            make(map[string]*Host, len(m.Hosts)),
		GroupMembers:    map[string][]*ENI{},
	}
	for i := range m.VPCs {
		x.VPC[m.VPCs[i].ID] = &m.VPCs[i]
	}
	for i := range m.Subnets {
		x.Subnet[m.Subnets[i].ID] = &m.Subnets[i]
	}
	for i := range m.ENIs {
		e := &m.ENIs[i]
		x.ENI[e.ID] = e
		for _, g := range e.Groups {
			x.GroupMembers[g] = append(x.GroupMembers[g], e)
		}
	}
	for i := range m.SecurityGroups {
		x.SecurityGroup[m.SecurityGroups[i].ID] = &m.SecurityGroups[i]
	}
	for i := range m.NACLs {
		x.NACL[m.NACLs[i].ID] = &m.NACLs[i]
	}
	for i := range m.RouteTables {
		x.RouteTable[m.RouteTables[i].ID] = &m.RouteTables[i]
	}
	for i := range m.InternetGateways {
		x.InternetGateway[m.InternetGateways[i].ID] = &m.InternetGateways[i]
	}
	for i := range m.NATGateways {
		x.NATGateway[m.NATGateways[i].ID] = &m.NATGateways[i]
	}
	for i := range m.Hosts {
		x.Host[m.Hosts[i].ID] = &m.Hosts[i]
	}
	return x
}
