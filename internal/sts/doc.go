// Package sts is the Security Token Service. Today it answers
// GetCallerIdentity from the authenticated caller; AssumeRole and session
// credentials arrive with IAM (#3). It never imports net/http or api packages.
package sts
