// Package postpolicy is the policy document of S3 browser-based POST
// uploads (PostObject): it parses the base64 JSON a form carries and
// checks the form against it, as "Creating a POST Policy" (AWS Signature
// Version 4) documents.
//
// It owns the grammar (ParseBase64, Parse): an "expiration" (ISO 8601)
// and "conditions", each one of
//
//	{"field": "value"}                  exact match
//	["eq", "$field", "value"]           exact match
//	["starts-with", "$field", "prefix"] prefix match ("" matches any value)
//	["content-length-range", min, max]  the file's size, bytes, inclusive
//
// and the decision (Policy.Check, Range.Check): the policy has not
// expired; every condition holds (a condition on a field the form lacks
// fails; "bucket" is matched against the request's bucket); every form
// field except x-amz-signature, file, policy and x-ignore-* names is named
// by a condition. Field names are case-insensitive, values case-sensitive.
// starts-with is refused (the condition fails) on "bucket" and on x-amz-*
// fields other than x-amz-meta-*, which AWS matches exactly only.
//
// Beyond JSON, string values may use AWS's escapes \$ and \v.
//
// Failures are *Error values carrying S3's code, status and message:
// InvalidPolicyDocument (400) for a document that does not parse,
// AccessDenied (403) "Invalid according to Policy: ..." for an expired
// policy, a failed condition or an uncovered field, EntityTooLarge and
// EntityTooSmall (400) for the content-length-range.
//
// It is pure: no I/O, no clock (time is passed in), no logging. It never
// sees the signature; checking that the policy was signed is the caller's
// job, and must come first.
package postpolicy
