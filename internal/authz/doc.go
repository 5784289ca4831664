// Package authz is the one authorizer every service calls before it acts:
// given the caller in the context, an action ("s3:GetObject"), a resource
// ARN and condition keys, it gathers the policies that apply (the
// principal's identity policies, permissions boundary and session policies
// from IAM and STS, and the resource's policy when the service passes one),
// adds AWS's global condition keys from the request context, and asks
// internal/iam/policy for the decision. Denials are *Denied errors carrying
// AWS's message; each api package renders them as AccessDenied (or EC2's
// UnauthorizedOperation).
//
// Compiled policy sets are cached per principal and dropped when IAM reports
// a change in the account (and after a short TTL, for changes made by other
// servers sharing the store).
package authz
