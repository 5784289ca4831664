package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
)

// CBOR limits. The body is already capped (doc.go); these bound the work
// and memory a small hostile document can demand.
const (
	cborMaxNesting = 32
	cborMaxItems   = 10000
)

// newCBORModes builds the decoder and encoder modes an Endpoint owns.
//
// Decoding: duplicate map keys are rejected, invalid UTF-8 text is
// rejected, nesting and container sizes are capped, and trailing bytes are
// an error. Indefinite-length items must be allowed: the Go SDK's rpcv2Cbor
// serializer writes every structure, list and map indefinite-length; the
// caps above apply to them too.
//
// Encoding: definite lengths only, time.Time as tag 1 (protocol.Time has
// its own MarshalCBOR with the same result).
func newCBORModes() (cbor.DecMode, cbor.EncMode, error) {
	dm, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthAllowed,
		MaxNestedLevels:  cborMaxNesting,
		MaxArrayElements: cborMaxItems,
		MaxMapPairs:      cborMaxItems,
		UTF8:             cbor.UTF8RejectInvalid,
		TimeTag:          cbor.DecTagOptional,
	}.DecMode()
	if err != nil {
		return nil, nil, fmt.Errorf("protocol: cbor decode mode: %w", err)
	}
	em, err := cbor.EncOptions{
		IndefLength: cbor.IndefLengthForbidden,
		Time:        cbor.TimeUnixMicro,
		TimeTag:     cbor.EncTagRequired,
	}.EncMode()
	if err != nil {
		return nil, nil, fmt.Errorf("protocol: cbor encode mode: %w", err)
	}
	return dm, em, nil
}

// decodeJSON reads an awsJson request body into v. An empty body is an
// empty input. Invalid UTF-8 and trailing data are rejected.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if !utf8.Valid(body) {
		return &InputError{Msg: "request body is not valid UTF-8", Serialization: true}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return &InputError{Msg: "request body is not a valid JSON document for this operation: " + jsonReason(err), Serialization: true, Err: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &InputError{Msg: "unexpected data after the JSON document", Serialization: true}
	}
	return nil
}

func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("member %s must be %s, not %s", te.Field, te.Type, te.Value)
		}
		return fmt.Sprintf("expected %s, not %s", te.Type, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at offset %d", se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return "malformed value"
}

// decodeCBOR reads an rpcv2Cbor request body into v. An empty body is an
// empty input (the SDKs send none for operations without input).
func decodeCBOR(dm cbor.DecMode, body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := dm.Unmarshal(body, v); err != nil {
		return &InputError{Msg: "request body is not a valid CBOR document for this operation: " + cborReason(err), Serialization: true, Err: err}
	}
	return nil
}

func cborReason(err error) string {
	var te *cbor.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Error()
	}
	var dup *cbor.DupMapKeyError
	if errors.As(err, &dup) {
		return "duplicate map key"
	}
	var extra *cbor.ExtraneousDataError
	if errors.As(err, &extra) {
		return "unexpected data after the document"
	}
	var mx *cbor.MaxNestedLevelError
	if errors.As(err, &mx) {
		return "nested too deeply"
	}
	var ma *cbor.MaxArrayElementsError
	if errors.As(err, &ma) {
		return "array too long"
	}
	var mm *cbor.MaxMapPairsError
	if errors.As(err, &mm) {
		return "map too large"
	}
	var se *cbor.SyntaxError
	if errors.As(err, &se) {
		return se.Error()
	}
	var sem *cbor.SemanticError
	if errors.As(err, &sem) {
		return sem.Error()
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "unexpected end of input"
	}
	return "malformed value"
}

// errorDocument is the body of a JSON or CBOR error response.
type errorDocument struct {
	Type    string `json:"__type" cbor:"__type"`
	Message string `json:"message" cbor:"message"`
}
