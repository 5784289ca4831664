// Package filter implements EC2's Describe* filters: every filter must
// match (AND), any of a filter's values may match (OR), values may hold the
// wildcards * and ?, and an unknown filter name is an error. It is pure and
// shared by every EC2-family service (ec2, vpc).
package filter
