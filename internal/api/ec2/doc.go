// Package ec2 is the wire binding of EC2 (ec2query, version 2016-11-15):
// shapes, the operation table and the error table, over two services: the
// region's (internal/ec2: regions, zones) and the network's (internal/vpc:
// VPCs, subnets, security groups and their rules, tags). Denials render
// as UnauthorizedOperation with the encoded authorization failure message
// (sts:DecodeAuthorizationMessage opens it), DryRun as DryRunOperation,
// and every *vpc.Error as a 400 with its own code.
//
// Element names follow aws-sdk-go-v2's ec2 deserializers and botocore's
// ec2 model. Lists EC2 always sends (ipRanges, vpcSet, ...) are present
// when empty; a resource's tagSet is left out when it has no tags.
// Describe calls take pages out of the service's whole list here
// (MaxResults 5..1000, an opaque NextToken). DryRun on a mutating call
// marks the context (vpc.WithDryRun): the service authorizes and
// validates the request in full, rolls its transaction back and answers
// vpc.ErrDryRun, rendered as DryRunOperation.
//
// It checks only what belongs to the wire (parameter combinations, tag
// specification types, page sizes); it must never authorize, validate a
// resource (CIDRs, ports, names: the services own that), or act under
// DryRun.
package ec2
