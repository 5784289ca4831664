package protocol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/fxamacker/cbor/v2"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/caller"
)

// MaxBodyBytes is the request-body cap the router applies to RPC
// (query, ec2query, JSON, CBOR) requests before calling Serve. The decoders
// do not rely on it: they carry their own limits (doc.go).
const MaxBodyBytes = 1 << 20

// Endpoint serves one Service over every protocol it accepts. It is safe
// for concurrent use; build one per service at start-up.
type Endpoint struct {
	svc     *Service
	log     *slog.Logger
	shapes  shapeCache
	cborDec cbor.DecMode
	cborEnc cbor.EncMode
	xmlPool sync.Pool // *xmlScratch: reusable XML encoders
}

// NewEndpoint checks svc (protocols, names, input shapes' tags) and returns
// its Endpoint. A nil log discards.
func NewEndpoint(svc *Service, log *slog.Logger) (*Endpoint, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(svc.Protocols) == 0 {
		return nil, fmt.Errorf("protocol: service %q declares no protocols", svc.SigningName)
	}
	e := &Endpoint{svc: svc, log: log.With("component", "api.protocol", "service", svc.SigningName)}
	for _, k := range svc.Protocols {
		switch k {
		case Query, EC2Query:
			if svc.Version == "" {
				return nil, fmt.Errorf("protocol: service %q speaks %s but has no Version", svc.SigningName, k)
			}
		case JSON10, JSON11:
			if svc.JSONTargetPrefix == "" {
				return nil, fmt.Errorf("protocol: service %q speaks %s but has no JSONTargetPrefix", svc.SigningName, k)
			}
		case RPCv2CBOR:
			if svc.CBORServiceName == "" {
				return nil, fmt.Errorf("protocol: service %q speaks %s but has no CBORServiceName", svc.SigningName, k)
			}
		default:
			return nil, fmt.Errorf("protocol: Endpoint does not serve %s", k)
		}
	}
	for name, op := range svc.Ops {
		if op.InputType == nil || op.InputType.Kind() != reflect.Struct {
			return nil, fmt.Errorf("protocol: %s: input is not a struct", name)
		}
		if err := e.checkShape(op.InputType, 0); err != nil {
			return nil, fmt.Errorf("protocol: %s: %w", name, err)
		}
	}
	var err error
	if e.cborDec, e.cborEnc, err = newCBORModes(); err != nil {
		return nil, err
	}
	return e, nil
}

// checkShape parses the tags of t and of every struct reachable from it.
func (e *Endpoint) checkShape(t reflect.Type, depth int) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || isTimeType(t) || depth > maxKeySegments {
		return nil
	}
	p, err := e.shapes.plan(t)
	if err != nil {
		return err
	}
	for _, f := range p.fields {
		if err := e.checkShape(t.FieldByIndex(f.index).Type, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// request is what Serve learned about one request.
type request struct {
	kind        Kind
	contentType string // response Content-Type for JSON
	action      string
}

// detect picks the protocol of r among the service's: Smithy-Protocol
// header -> rpc-v2-cbor; X-Amz-Target -> awsJson (1.1 when the Content-Type
// says so); anything else -> the service's query flavour. ok is false when
// the request's protocol is one the service does not speak; kind is then
// the service's primary protocol, used for the error envelope.
func (e *Endpoint) detect(r *http.Request) (req request, ok bool) {
	primary := request{kind: e.svc.Protocols[0], contentType: jsonContentType(e.svc.Protocols[0])}
	switch {
	case strings.EqualFold(r.Header.Get("Smithy-Protocol"), "rpc-v2-cbor"):
		req.kind = RPCv2CBOR
	case r.Header.Get("X-Amz-Target") != "":
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch {
		case mt == "application/x-amz-json-1.1" && e.svc.Accepts(JSON11):
			req.kind = JSON11
		case e.svc.Accepts(JSON10):
			req.kind = JSON10
		default:
			req.kind = JSON11
		}
		req.contentType = jsonContentType(req.kind)
	case e.svc.Accepts(EC2Query):
		req.kind = EC2Query
	default:
		req.kind = Query
	}
	if !e.svc.Accepts(req.kind) {
		return primary, false
	}
	return req, true
}

func jsonContentType(k Kind) string {
	if k == JSON11 {
		return "application/x-amz-json-1.1"
	}
	return "application/x-amz-json-1.0"
}

// Serve decodes one authenticated request, calls its operation and writes
// the response (or error) in the request's protocol. body is the request
// body, already read and size-capped by the router. It returns the
// operation name, or "" when the request named no known operation (so
// metrics labels stay bounded). Serve never panics: a panicking handler is
// logged and answered with InternalError.
func (e *Endpoint) Serve(ctx context.Context, w http.ResponseWriter, r *http.Request, body []byte) (action string) {
	req, ok := e.detect(r)
	defer func() {
		if p := recover(); p != nil {
			e.log.ErrorContext(ctx, "panic serving request", "request_id", requestID(ctx),
				"action", req.action, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			e.writeAWSError(ctx, w, req, awserr.Internal())
			action = req.action
		}
	}()
	if !ok {
		e.writeAWSError(ctx, w, req, awserr.New(http.StatusBadRequest, "InvalidAction",
			"This service does not accept requests in this protocol."))
		return ""
	}
	var op Operation
	var in any
	var err error
	switch req.kind {
	case Query, EC2Query:
		op, in, err = e.decodeQueryRequest(r, body, &req)
	case JSON10, JSON11:
		op, in, err = e.decodeJSONRequest(r, body, &req)
	case RPCv2CBOR:
		op, in, err = e.decodeCBORRequest(r, body, &req)
	}
	if err != nil {
		e.writeError(ctx, w, req, err)
		return req.action
	}
	out, err := op.Call(ctx, in)
	if err != nil {
		e.writeError(ctx, w, req, err)
		return req.action
	}
	payload, ctype, err := e.encodeOutput(req, requestID(ctx), out)
	if err != nil {
		e.writeError(ctx, w, req, fmt.Errorf("encode %s output: %w", req.action, err))
		return req.action
	}
	e.write(ctx, w, req.kind, http.StatusOK, ctype, payload)
	return req.action
}

func (e *Endpoint) decodeQueryRequest(r *http.Request, body []byte, req *request) (Operation, any, error) {
	var sources []string
	if r.URL != nil && r.URL.RawQuery != "" {
		sources = append(sources, r.URL.RawQuery)
	}
	if len(body) > 0 {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/x-www-form-urlencoded" {
			return Operation{}, nil, inputErr("unsupported Content-Type %q: query requests are application/x-www-form-urlencoded", truncate(mt))
		}
		sources = append(sources, string(body))
	}
	root, err := parseParams(sources...)
	if err != nil {
		return Operation{}, nil, err
	}
	name, ok := root.child("Action").leaf()
	if !ok || name == "" {
		return Operation{}, nil, awserr.New(http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action.")
	}
	op, known := e.svc.Ops[name]
	if !known {
		return Operation{}, nil, awserr.InvalidAction(truncate(name))
	}
	req.action = op.Name
	version, ok := root.child("Version").leaf()
	switch {
	case !ok || version == "":
		return Operation{}, nil, awserr.New(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter Version.")
	case version != e.svc.Version:
		return Operation{}, nil, awserr.New(http.StatusBadRequest, "NoSuchVersion",
			"The requested version (%s) of service %s does not exist.", truncate(version), e.svc.SigningName)
	}
	delete(root.children, "Action")
	delete(root.children, "Version")
	in := op.NewInput()
	if err := e.shapes.decodeQuery(root, in, req.kind == EC2Query); err != nil {
		return Operation{}, nil, err
	}
	return op, in, nil
}

func (e *Endpoint) decodeJSONRequest(r *http.Request, body []byte, req *request) (Operation, any, error) {
	target := r.Header.Get("X-Amz-Target")
	prefix, name, _ := strings.Cut(target, ".")
	op, known := e.svc.Ops[name]
	if prefix != e.svc.JSONTargetPrefix || !known {
		return Operation{}, nil, unknownOperation(truncate(target))
	}
	req.action = op.Name
	in := op.NewInput()
	if err := decodeJSON(body, in); err != nil {
		return Operation{}, nil, err
	}
	return op, in, e.required(in)
}

func (e *Endpoint) decodeCBORRequest(r *http.Request, body []byte, req *request) (Operation, any, error) {
	// /service/{Service}/operation/{Operation}, possibly under a path prefix.
	path := r.URL.Path
	i := strings.LastIndex(path, "/service/")
	if i < 0 {
		return Operation{}, nil, unknownOperation(truncate(path))
	}
	svc, name, ok := strings.Cut(path[i+len("/service/"):], "/operation/")
	op, known := e.svc.Ops[name]
	if !ok || svc != e.svc.CBORServiceName || !known || r.Method != http.MethodPost {
		aerr := unknownOperation(truncate(path))
		aerr.Status = http.StatusNotFound
		return Operation{}, nil, aerr
	}
	req.action = op.Name
	if len(body) > 0 {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/cbor" {
			return Operation{}, nil, &InputError{Msg: "Content-Type must be application/cbor", Serialization: true}
		}
	}
	in := op.NewInput()
	if err := decodeCBOR(e.cborDec, body, in); err != nil {
		return Operation{}, nil, err
	}
	return op, in, e.required(in)
}

func unknownOperation(what string) *awserr.Error {
	return awserr.New(http.StatusBadRequest, "UnknownOperationException", "Unknown operation %s", what)
}

// required enforces `query:",required"` on a JSON or CBOR input.
func (e *Endpoint) required(in any) error {
	var missing []string
	if err := e.shapes.checkRequired(reflect.ValueOf(in), "", &missing, 0); err != nil {
		return err
	}
	if len(missing) > 0 {
		return &InputError{Missing: missing}
	}
	return nil
}

func (e *Endpoint) encodeOutput(req request, rid string, out any) ([]byte, string, error) {
	switch req.kind {
	case Query:
		b, err := encodeQueryXML(&e.xmlPool, req.action, e.svc.XMLNamespace, rid, out)
		return b, "text/xml", err
	case EC2Query:
		b, err := encodeEC2XML(&e.xmlPool, req.action, e.svc.XMLNamespace, rid, out)
		return b, "text/xml;charset=UTF-8", err
	case JSON10, JSON11:
		if isNilOutput(out) {
			return []byte("{}"), req.contentType, nil
		}
		b, err := json.Marshal(out)
		return b, req.contentType, err
	case RPCv2CBOR:
		if isNilOutput(out) {
			return []byte{0xa0}, "application/cbor", nil
		}
		b, err := e.cborEnc.Marshal(out)
		return b, "application/cbor", err
	}
	return nil, "", fmt.Errorf("no encoder for %s", req.kind)
}

func isNilOutput(out any) bool {
	if out == nil {
		return true
	}
	v := reflect.ValueOf(out)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

func requestID(ctx context.Context) string {
	if c := caller.From(ctx); c != nil {
		return c.RequestID
	}
	return ""
}

// WriteError renders err in the envelope of the protocol r used (or the
// service's primary protocol if r's is not one it speaks). The router uses
// it for failures before Serve, such as authentication errors.
func (e *Endpoint) WriteError(ctx context.Context, w http.ResponseWriter, r *http.Request, err error) {
	req, _ := e.detect(r)
	e.writeError(ctx, w, req, err)
}

// writeError maps err to an *awserr.Error and writes it.
func (e *Endpoint) writeError(ctx context.Context, w http.ResponseWriter, req request, err error) {
	e.writeAWSError(ctx, w, req, e.toAWS(ctx, req, err))
}

// toAWS maps any error to what the client sees: *awserr.Error passes
// through, decode problems become validation errors, service errors go
// through svc.MapError, and the rest become InternalError with the cause
// logged (never sent).
func (e *Endpoint) toAWS(ctx context.Context, req request, err error) *awserr.Error {
	if aerr, ok := awserr.As(err); ok {
		return aerr
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return e.inputError(req, ie)
	}
	if e.svc.MapError != nil {
		if aerr, ok := e.svc.MapError(err); ok && aerr != nil {
			return aerr
		}
	}
	level := slog.LevelError
	if errors.Is(err, context.Canceled) {
		level = slog.LevelWarn
	}
	e.log.Log(ctx, level, "unmapped error", "request_id", requestID(ctx), "action", req.action, "err", err)
	return awserr.Internal()
}

func (e *Endpoint) inputError(req request, ie *InputError) *awserr.Error {
	code := e.svc.ValidationCode
	if code == "" {
		code = "ValidationError"
	}
	if ie.Serialization && (req.kind == JSON10 || req.kind == JSON11 || req.kind == RPCv2CBOR) {
		code = "SerializationException"
	}
	if len(ie.Missing) == 0 {
		return awserr.New(http.StatusBadRequest, code, "%s", ie.Msg)
	}
	if req.kind == EC2Query {
		return awserr.New(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter %s", ie.Missing[0])
	}
	parts := make([]string, len(ie.Missing))
	for i, p := range ie.Missing {
		parts[i] = "Value null at '" + p + "' failed to satisfy constraint: Member must not be null"
	}
	noun := "error"
	if len(parts) > 1 {
		noun = "errors"
	}
	return awserr.New(http.StatusBadRequest, code, "%d validation %s detected: %s", len(parts), noun, strings.Join(parts, "; "))
}

func (e *Endpoint) writeAWSError(ctx context.Context, w http.ResponseWriter, req request, aerr *awserr.Error) {
	status := aerr.Status
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	rid := requestID(ctx)
	switch req.kind {
	case EC2Query:
		e.write(ctx, w, req.kind, status, "text/xml;charset=UTF-8", ec2ErrorXML(aerr.Code, aerr.Message, rid))
	case JSON10, JSON11, RPCv2CBOR:
		typ := aerr.Code
		if s, ok := e.svc.ErrorShapes[aerr.Code]; ok {
			typ = s
		}
		if e.svc.QueryCompatible {
			fault := "Sender"
			if aerr.Server || status >= 500 {
				fault = "Receiver"
			}
			w.Header().Set("X-Amzn-Query-Error", aerr.Code+";"+fault)
		}
		doc := errorDocument{Type: typ, Message: aerr.Message}
		if req.kind == RPCv2CBOR {
			b, err := e.cborEnc.Marshal(doc)
			if err != nil {
				b = []byte{0xa0}
			}
			e.write(ctx, w, req.kind, status, "application/cbor", b)
			return
		}
		w.Header().Set("X-Amzn-ErrorType", typ)
		b, _ := json.Marshal(doc) // strings only: cannot fail
		e.write(ctx, w, req.kind, status, req.contentType, b)
	default:
		e.write(ctx, w, req.kind, status, "text/xml", queryErrorXML(e.svc.XMLNamespace, aerr.Code, aerr.Message, aerr.Server || status >= 500, rid))
	}
}

func (e *Endpoint) write(ctx context.Context, w http.ResponseWriter, kind Kind, status int, ctype string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if kind != EC2Query {
		if rid := requestID(ctx); rid != "" {
			h.Set("X-Amzn-Requestid", rid)
		}
	}
	if kind == RPCv2CBOR {
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
	}
	w.WriteHeader(status)
	if _, err := w.Write(body); err != nil {
		e.log.DebugContext(ctx, "write response", "request_id", requestID(ctx), "err", err)
	}
}
