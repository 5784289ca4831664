package cidr

import (
	"fmt"
	"net/netip"
)

// Error is a client error with EC2's error code and message. The VPC
// service turns it into its own error type; the API answers it with HTTP 400.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// The EC2 error codes this package returns.
const (
	CodeInvalidParameterValue = "InvalidParameterValue"
	CodeInvalidVpcRange       = "InvalidVpc.Range"
	CodeInvalidSubnetRange    = "InvalidSubnet.Range"
	CodeInvalidSubnetConflict = "InvalidSubnet.Conflict"
	CodeCidrLimitExceeded     = "CidrLimitExceeded"
	CodeInsufficientAddresses = "InsufficientFreeAddressesInSubnet"
	CodeInvalidIPAddressInUse = "InvalidIPAddress.InUse"
)

// restrictionsPage is the page EC2's "is restricted" message points to.
const restrictionsPage = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html"

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// invalidBlock: the client's cidrBlock value does not parse as an IPv4 CIDR.
func invalidBlock(raw string) *Error {
	return errorf(CodeInvalidParameterValue,
		"Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", raw)
}

// invalidVPCRange: a VPC block of the wrong size or in a range no VPC may use.
func invalidVPCRange(p netip.Prefix) *Error {
	return errorf(CodeInvalidVpcRange, "The CIDR '%s' is invalid.", p)
}

// restrictedVPCRange: an association the restriction table forbids.
func restrictedVPCRange(p netip.Prefix) *Error {
	return errorf(CodeInvalidVpcRange,
		"The CIDR '%s' is restricted. Use a CIDR from the same private address range as the current VPC CIDR, "+
			"or use a publicly-routable CIDR. For additional restrictions, see %s", p, restrictionsPage)
}

// vpcBlockConflict: an association overlapping a block the VPC already has.
func vpcBlockConflict(p netip.Prefix) *Error {
	return errorf(CodeInvalidVpcRange, "The CIDR '%s' conflicts with a CIDR block already associated with the VPC.", p)
}

func cidrLimitExceeded(vpcID string, limit int) *Error {
	return errorf(CodeCidrLimitExceeded, "This network '%s' has met its maximum number of allowed CIDRs: %d", vpcID, limit)
}

func invalidSubnetRange(p netip.Prefix) *Error {
	return errorf(CodeInvalidSubnetRange, "The CIDR '%s' is invalid.", p)
}

func subnetConflict(p netip.Prefix) *Error {
	return errorf(CodeInvalidSubnetConflict, "The CIDR '%s' conflicts with another subnet", p)
}

func addressOutsideSubnet(a netip.Addr) *Error {
	return errorf(CodeInvalidParameterValue, "Address %s does not fall within the subnet's address range", a)
}

func addressReserved(a netip.Addr) *Error {
	return errorf(CodeInvalidParameterValue, "Address %s is in subnet's reserved address range", a)
}

func addressInUse(a netip.Addr) *Error {
	return errorf(CodeInvalidIPAddressInUse, "Address %s is in use.", a)
}

func insufficientAddresses(subnetID string) *Error {
	return errorf(CodeInsufficientAddresses,
		"There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", subnetID)
}
