// Package ec2 is the wire binding of EC2 (ec2query, version 2016-11-15):
// shapes, the operation table and the error table. Denials render as
// UnauthorizedOperation with the encoded authorization failure message
// (sts:DecodeAuthorizationMessage opens it), DryRun as DryRunOperation.
package ec2
