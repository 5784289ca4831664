// Package ec2 is the EC2 service of a region. Today it answers the
// region's own geography (DescribeRegions, DescribeAvailabilityZones) from
// configuration; instances, images and placement arrive with #6. Every
// action is authorized (ec2:<Action>) before it answers. The package never
// imports net/http or api packages.
package ec2
