// Package api is nimbus's single HTTP endpoint for every service: it routes
// a request to its service, authenticates it (SigV4: header, presigned
// query, streaming chunks), builds the caller.Caller the services receive,
// and renders failures in the envelope of the service the request was for.
//
// Routing, in order: the SigV4 credential scope's service name; for unsigned
// requests the X-Amz-Target header (JSON protocols) or the Smithy-Protocol
// header with a /service/<name>/operation/<op> path (rpc-v2-cbor); everything
// else unsigned goes to S3 as an anonymous request (bucket policies decide
// later). S3 buckets are addressed by path or by virtual host
// (<bucket>.<domain> for each configured S3 domain), see internal/api/s3.
//
// Around every request: a request ID, a panic guard that answers 500
// InternalError with the request ID, Prometheus metrics by service, action
// and status, and body read deadlines so slow clients cannot pin
// connections.
//
// The package knows HTTP and the wire protocols (through internal/api/protocol
// and internal/api/sigv4). It holds no business logic: services are called
// through their operation tables, and it never touches the store directly.
package api
