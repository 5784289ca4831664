// Package protocol is the RPC wire layer shared by every query, ec2query,
// awsJson and rpc-v2-cbor service: a typed operation table per service
// (Service, Op) and an Endpoint that detects the protocol of an
// authenticated request, decodes it into the operation's input struct,
// calls the operation and encodes the output or error in the same protocol.
//
// It owns: protocol detection, the query/ec2query decoder and its tag
// grammar, the query/ec2 XML response envelopes, the JSON and CBOR codecs,
// the Time shape type, and the error envelopes of these four protocols.
// Subpackage xmlbody owns safe XML request-body decoding and S3's error
// document (rest-xml routing and binding belong to the S3 api package).
//
// It must never: authenticate or authorize (the router has done that),
// know any service's semantics, send an internal error's cause to a client
// (it is logged with the request ID; the client sees InternalError), keep
// mutable package-level state (the reflection cache and CBOR modes belong
// to each Endpoint), or panic on client input.
//
// # Detection
//
// A request is rpc-v2-cbor if it has "Smithy-Protocol: rpc-v2-cbor"
// (path /service/<CBORServiceName>/operation/<Op>, POST, application/cbor);
// awsJson if it has X-Amz-Target "<JSONTargetPrefix>.<Op>" (1.1 when the
// Content-Type is application/x-amz-json-1.1 and the service speaks it);
// otherwise the service's query flavour (form body and/or URL query
// string, Action and Version parameters). A request in a protocol the
// service does not speak gets InvalidAction 400 in the primary protocol.
//
// # Body size
//
// The router reads at most MaxBodyBytes (1 MiB) of an RPC body and answers
// larger ones itself. The decoders do not rely on that: query input is
// capped at 10,000 parameters, 512-byte keys, 32 levels and 1,000 elements
// per list or map; CBOR at 32 levels and 10,000 items per array or map;
// JSON nesting is bounded by encoding/json.
//
// # Query tag grammar
//
// Input members are read from the `query` struct tag:
//
//		query:"[Name][,required][,flat][,member=M][,key=K][,value=V]"
//		query:"-"                      // never decoded
//
//	  - Name: wire name; default the Go field name. On ec2query services
//	    write the EC2 query name (queryName, e.g. `query:"InstanceId"` on an
//	    InstanceIds []string field; `query:"Filter"`, whose struct has
//	    `query:"Value"` on Values).
//	  - required: absent -> query: ValidationCode "1 validation error
//	    detected: Value null at 'userName' failed to satisfy constraint:
//	    Member must not be null" (all missing members, lowerCamel paths);
//	    ec2query: MissingParameter "The request must contain the parameter
//	    InstanceId". JSON and CBOR inputs honour it too, but can only see
//	    absence for pointers, slices, maps and strings (use pointers).
//	  - flat: query list as Name.N (default Name.member.N) or map as
//	    Name.N.key (default Name.entry.N.key). ec2query lists are always
//	    Name.N.
//	  - member=M: list element name (Name.M.N); default "member".
//	  - key=K, value=V: map entry member names; defaults "key", "value".
//	  - An embedded struct (not a pointer, no query tag) contributes its
//	    members as the outer shape's own, so a shape that extends another
//	    embeds it.
//
// Member types: string, bool ("true"/"false"), signed and unsigned ints
// (range-checked), float32/64, Time or time.Time (ISO 8601 / RFC 3339,
// or epoch seconds), []byte (base64), pointers to any of these (optional),
// nested structs (Name.Field), slices and map[string]T of any of these.
// Embedded (anonymous) fields are not supported. Unknown parameters are
// ignored, as AWS does; Action and Version are consumed by the Endpoint.
// "Name=" (empty) is an empty list or map: it is how botocore and the Go
// SDK serialize empty query lists.
//
// List indexes must be decimal 1..1048576 without leading zeros. Both SDKs
// always send 1..N; gaps are tolerated and keep their order (not verified
// against AWS). Rejected with ValidationCode 400: malformed escapes, ';'
// separators, invalid UTF-8 in keys or values, empty key segments, a key
// given twice (also across URL query and body), a scalar where a list/map
// was expected and vice versa, malformed values, duplicate map keys, and
// over-limit input. A POST body with a Content-Type other than
// application/x-www-form-urlencoded is rejected likewise.
//
// Outputs of query and ec2query operations are encoded with encoding/xml
// tags: lists as `xml:"Users>member"` (query) or `xml:"instancesSet>item"`
// (ec2). JSON and CBOR use `json` tags for both input and output
// (fxamacker/cbor falls back to `json` tags when there is no `cbor` tag;
// the SDK round-trip tests prove it). Use omitempty and pointers for
// optional output members.
//
// # Envelopes (what the SDKs parse)
//
//   - query success: <{Op}Response xmlns=ns><{Op}Result>…</{Op}Result>
//     <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></…>.
//     The Go SDK (smithy-go awsquery) looks for the {Op}Result element;
//     when it is missing it errors unless the operation has no modeled
//     output, so operations with an empty-struct output type get no Result
//     (as AWS does for DeleteUser) and all others always get one.
//   - query error: <ErrorResponse><Error><Type>Sender|Receiver</Type>
//     <Code/><Message/></Error><RequestId/></ErrorResponse>. Go reads the
//     first <Error> element's Code and Message (and resolves modeled errors
//     by shape name or awsQueryError code — without setting
//     ErrorCodeOverride, so ErrorCode() is then the shape name); botocore
//     reads Error/Code, Message and RequestId.
//   - ec2 success: <{Op}Response xmlns=ns><requestId/>…members…</…>; the
//     SDK decodes the root element's children.
//   - ec2 error: <Response><Errors><Error><Code/><Message/></Error>
//     </Errors><RequestID/></Response> (note RequestID, capital D).
//   - awsJson error: {"__type": T, "message": M} with X-Amzn-ErrorType: T.
//     The Go SDK prefers the X-Amzn-ErrorType header, then __type, then a
//     "code" member; message is matched case-insensitively (message or
//     Message). Both SDKs strip a "ns#" prefix and a ":…" suffix from the
//     type. The Content-Type of responses mirrors the request's version.
//   - rpc-v2-cbor error: CBOR map {"__type": T, "message": M}, header
//     Smithy-Protocol: rpc-v2-cbor (on every response); the Go SDK reads
//     only __type and message from the body, and strips "ns#"/":…" too.
//   - Query-compatible services (CloudWatch): JSON and CBOR errors also
//     carry X-Amzn-Query-Error: "<Code>;Sender|Receiver". Both SDKs then
//     report <Code> as the error code (Go sets ErrorCodeOverride on the
//     modeled error found by __type). Service.ErrorShapes supplies the
//     Smithy shape name for __type so the Go SDK can build modeled errors.
//   - Request IDs: query/ec2 in the body (RequestId / RequestID /
//     requestId) and, except for ec2 like AWS, in x-amzn-RequestId, which
//     botocore and the Go SDK read for JSON and CBOR.
//
// Client mistakes never produce 5xx: missing Action -> MissingAction 400;
// unknown Action -> InvalidAction 400; missing Version -> MissingParameter
// 400; a different Version -> NoSuchVersion 400 (our best reading of AWS;
// not verified against the live service); unknown JSON target ->
// UnknownOperationException 400; unknown CBOR operation or path ->
// UnknownOperationException 404 (the Smithy rpcv2 server behaviour);
// malformed JSON/CBOR -> SerializationException 400 (what AWS JSON
// services answer); other bad input -> Service.ValidationCode 400.
//
// # CloudWatch protocols (findings)
//
// The CloudWatch model lists protocols [smithy-rpc-v2-cbor, json(1.0),
// query] with awsQueryCompatible and target prefix
// GraniteServiceVersion20100801. aws-sdk-go-v2 service/cloudwatch v1.75.x
// uses rpc-v2-cbor by default (rpcv2.NewCBOR, POST /service/
// GraniteServiceVersion20100801/operation/<Op>, indefinite-length CBOR
// maps, timestamps as tag 1 over float64 seconds, X-Amzn-Query-Mode:
// true); options.Protocol can switch it to awsjson.New10 or awsquery.New.
// botocore 1.43 (and so aws CLI v1) picks the first protocol in its own
// priority order (json, rest-json, rest-xml, smithy-rpc-v2-cbor, query,
// ec2), i.e. awsJson 1.0 with X-Amz-Target and x-amzn-query-mode: true.
// Older clients still send query. A CloudWatch service must therefore
// list all three; Endpoint serves them from one operation table.
package protocol
