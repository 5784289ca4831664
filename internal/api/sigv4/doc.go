// Package sigv4 verifies AWS Signature Version 4 on incoming requests, for
// every service nimbus serves, the way AWS does: the canonical request is
// rebuilt exactly as the SDK signers (aws-sdk-go-v2, botocore) build it.
//
// It owns:
//   - parsing the signature, from the Authorization header or a presigned
//     query (Parse), so the router can route on Auth.Service and
//     Auth.Region and look up the secret of Auth.AccessKeyID;
//   - the time rules (clock skew, presign expiry) against an injected clock;
//   - verification for bodies the router has read (VerifyBytes, RPC
//     protocols) and for streamed bodies (VerifyStream, S3), including
//     aws-chunked decoding with chunk, trailer and checksum verification;
//   - the signature of S3 browser POST forms (ParsePost, VerifyPost): the
//     policy field signed with the scope's signing key;
//   - a bounded cache of derived signing keys (Verifier);
//   - the sentinel errors the router maps to each service's AWS error codes.
//
// The flow in the router is:
//
//	a, err := sigv4.Parse(r)          // ErrNoAuth -> anonymous
//	secret := lookup(a.AccessKeyID)   // and a.SecurityToken
//	err = v.VerifyBytes(r, a, secret, body)    // query/JSON/CBOR
//	p, err := v.VerifyStream(r, a, secret)     // S3: read p, not r.Body
//
// A Payload from VerifyStream reports integrity failures in place of
// io.EOF: a consumer must only commit data after a clean io.EOF.
//
// Canonical URI: S3 signs the decoded path re-encoded once with AWS's rules
// (A-Z a-z 0-9 - _ . ~ and '/' kept, all else %XX); other services sign the
// path as sent on the wire encoded once more. Dot segments are never
// normalised.
//
// It must never: look up credentials or decide authorization (that is IAM's
// job); read a body beyond what the returned Payload is asked for, or buffer
// one (memory per request is a small bounded line buffer and a few hashes);
// do any other I/O; read the wall clock except through Config.Now; compare
// signatures other than in constant time; or log secrets.
package sigv4
