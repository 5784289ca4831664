package protocol

import (
	"context"
	"fmt"
	"reflect"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
)

// Kind is a wire protocol.
type Kind int

const (
	Query     Kind = iota + 1 // awsQuery: form-encoded Action/Version, XML responses
	EC2Query                  // ec2query: like Query with EC2 naming and envelopes
	JSON10                    // awsJson1_0: X-Amz-Target, JSON bodies
	JSON11                    // awsJson1_1
	RPCv2CBOR                 // smithy rpc-v2-cbor
	RESTXML                   // S3
)

func (k Kind) String() string {
	switch k {
	case Query:
		return "query"
	case EC2Query:
		return "ec2query"
	case JSON10:
		return "awsJson1_0"
	case JSON11:
		return "awsJson1_1"
	case RPCv2CBOR:
		return "rpc-v2-cbor"
	case RESTXML:
		return "rest-xml"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Operation is one action of a service: how to make its input shape and how
// to call it. Build with Op so the types line up.
type Operation struct {
	Name      string
	InputType reflect.Type // the input struct type (not a pointer)
	newInput  func() any
	call      func(ctx context.Context, in any) (any, error)
}

// Op declares an operation from a typed handler. The input struct carries
// the wire names in struct tags (see the codec docs); the output struct is
// encoded by the codec of the protocol the request came in.
func Op[I any, O any](name string, fn func(context.Context, *I) (*O, error)) Operation {
	return Operation{
		Name:      name,
		InputType: reflect.TypeFor[I](),
		newInput:  func() any { return new(I) },
		call: func(ctx context.Context, in any) (any, error) {
			out, err := fn(ctx, in.(*I))
			if err != nil {
				return nil, err
			}
			return out, nil
		},
	}
}

// NewInput returns a pointer to a fresh input struct.
func (o Operation) NewInput() any { return o.newInput() }

// Call invokes the handler with a decoded input.
func (o Operation) Call(ctx context.Context, in any) (any, error) { return o.call(ctx, in) }

// Service describes one AWS service's RPC surface: its protocols, names and
// operation table. Adding an action is adding an Op to Ops.
type Service struct {
	// SigningName is the SigV4 credential-scope service ("sts", "ec2", "monitoring").
	SigningName string
	// Protocols the service accepts; the first is its primary protocol.
	Protocols []Kind
	// Version is the API version ("2011-06-15"); query requests must carry it.
	Version string
	// XMLNamespace is the xmlns of query/ec2query responses.
	XMLNamespace string
	// JSONTargetPrefix is the X-Amz-Target prefix for JSON protocols
	// ("GraniteServiceVersion20100801" makes "GraniteServiceVersion20100801.PutMetricData").
	JSONTargetPrefix string
	// CBORServiceName is the Smithy service shape name used in rpc-v2-cbor paths
	// (/service/<name>/operation/<op>).
	CBORServiceName string
	// ValidationCode is the error code for malformed or invalid input
	// ("ValidationError" for query services, "InvalidParameterValue" for EC2).
	ValidationCode string
	// MapError maps a service's own errors to AWS errors (the service's one
	// error table). Errors it does not know become InternalError.
	MapError func(error) (*awserr.Error, bool)
	// QueryCompatible marks a former query service now also served over
	// JSON/CBOR with the awsQueryCompatible trait (CloudWatch): JSON and
	// CBOR errors then carry "X-Amzn-Query-Error: <Code>;Sender|Receiver",
	// from which the SDKs take the query error code.
	QueryCompatible bool
	// ErrorShapes optionally maps an error code to the Smithy error shape
	// name sent as __type in JSON and CBOR errors (for CloudWatch,
	// "ResourceNotFound" -> "ResourceNotFoundException"), so that SDKs
	// build their modeled error types. Unmapped codes are sent as is.
	ErrorShapes map[string]string
	// Ops is the operation table keyed by action name.
	Ops map[string]Operation
}

// Register adds operations to the table.
func (s *Service) Register(ops ...Operation) {
	if s.Ops == nil {
		s.Ops = make(map[string]Operation, len(ops))
	}
	for _, op := range ops {
		s.Ops[op.Name] = op
	}
}

// Accepts reports whether the service speaks protocol k.
func (s *Service) Accepts(k Kind) bool {
	for _, p := range s.Protocols {
		if p == k {
			return true
		}
	}
	return false
}
