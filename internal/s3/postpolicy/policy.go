package postpolicy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Error is a policy failure as S3 reports it.
type Error struct {
	Status  int    // HTTP status
	Code    string // S3 error code
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func invalid(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidPolicyDocument", Message: "Invalid Policy: " + msg}
}

func denied(msg string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "AccessDenied", Message: "Invalid according to Policy: " + msg}
}

// Op is a condition's match type.
type Op string

const (
	Eq         Op = "eq"
	StartsWith Op = "starts-with"
)

// Condition is one eq or starts-with condition.
type Condition struct {
	Op    Op
	Field string // lower-case, without the leading '$'
	Value string
	name  string // the field as the policy wrote it, for messages
}

// String renders c as S3 does in "Policy Condition failed" messages.
func (c Condition) String() string {
	return `["` + string(c.Op) + `", "$` + c.name + `", "` + c.Value + `"]`
}

// Range is a content-length-range: the file's size in bytes, inclusive.
type Range struct{ Min, Max int64 }

// Check applies r to n bytes of the file: over Max fails at once; under
// Min fails only once final says the file has ended.
func (r Range) Check(n int64, final bool) error {
	switch {
	case n > r.Max:
		return &Error{Status: http.StatusBadRequest, Code: "EntityTooLarge", Message: "Your proposed upload exceeds the maximum allowed size"}
	case final && n < r.Min:
		return &Error{Status: http.StatusBadRequest, Code: "EntityTooSmall", Message: "Your proposed upload is smaller than the minimum allowed size"}
	}
	return nil
}

// Policy is a parsed POST policy. It is immutable after Parse.
type Policy struct {
	Expiration time.Time
	Conditions []Condition
	// Length is the content-length-range (the intersection when several
	// are given); nil when the policy has none.
	Length *Range
}

// ParseBase64 decodes the form's policy field (standard base64; ASCII
// whitespace, which some encoders insert, is ignored) and parses it.
func ParseBase64(field string) (*Policy, error) {
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, field)
	doc, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		return nil, invalid("Invalid Base64 encoding.")
	}
	return Parse(doc)
}

// Parse parses a policy document.
func Parse(doc []byte) (*Policy, error) {
	var raw struct {
		Expiration json.RawMessage `json:"expiration"`
		Conditions json.RawMessage `json:"conditions"`
	}
	dec := json.NewDecoder(bytes.NewReader(awsEscapes(doc)))
	if err := dec.Decode(&raw); err != nil {
		return nil, invalid("Invalid JSON.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalid("Invalid JSON.")
	}
	if isNull(raw.Expiration) {
		return nil, invalid("Policy missing expiration.")
	}
	var exp string
	if err := json.Unmarshal(raw.Expiration, &exp); err != nil {
		return nil, invalid("Invalid 'expiration' value: it must be a string.")
	}
	t, err := time.Parse(time.RFC3339Nano, exp)
	if err != nil {
		return nil, invalid("Invalid 'expiration' value: '" + trim(exp) + "'")
	}
	p := &Policy{Expiration: t}
	if isNull(raw.Conditions) {
		return nil, invalid("Policy missing conditions.")
	}
	var conds []json.RawMessage
	if err := json.Unmarshal(raw.Conditions, &conds); err != nil {
		return nil, invalid("Invalid 'conditions' value: it must be an array.")
	}
	for _, c := range conds {
		c = bytes.TrimSpace(c)
		var err error
		switch {
		case len(c) > 0 && c[0] == '{':
			err = p.simple(c)
		case len(c) > 0 && c[0] == '[':
			err = p.list(c)
		default:
			err = invalid("Invalid Condition: each condition must be an object or an array.")
		}
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

// simple parses {"field": "value"}.
func (p *Policy) simple(raw []byte) error {
	bad := invalid("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // '{'
		return bad
	}
	var c Condition
	n := 0
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return bad
		}
		v, err := dec.Token()
		if err != nil {
			return bad
		}
		value, ok := v.(string)
		if !ok {
			return invalid("Invalid Simple-Condition: the value of '" + trim(k.(string)) + "' must be a string.")
		}
		c = Condition{Op: Eq, Field: strings.ToLower(k.(string)), Value: value, name: k.(string)}
		n++
	}
	if n != 1 {
		return bad
	}
	p.Conditions = append(p.Conditions, c)
	return nil
}

// list parses ["eq"|"starts-with", "$field", "value"] and
// ["content-length-range", min, max].
func (p *Policy) list(raw []byte) error {
	var elems []any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&elems); err != nil || len(elems) == 0 {
		return invalid("Invalid Condition: a condition array must name its operator.")
	}
	op, ok := elems[0].(string)
	if !ok {
		return invalid("Invalid Condition: a condition's operator must be a string.")
	}
	switch strings.ToLower(op) {
	case string(Eq), string(StartsWith):
		if len(elems) != 3 {
			return invalid("Invalid Condition: '" + trim(op) + "' takes a field and a value.")
		}
		name, ok1 := elems[1].(string)
		value, ok2 := elems[2].(string)
		if !ok1 || !ok2 {
			return invalid("Invalid Condition: the field and value of '" + trim(op) + "' must be strings.")
		}
		name, ok = strings.CutPrefix(name, "$")
		if !ok || name == "" {
			return invalid("Invalid Condition: field name '" + trim(name) + "' must start with '$'.")
		}
		p.Conditions = append(p.Conditions, Condition{Op: Op(strings.ToLower(op)), Field: strings.ToLower(name), Value: value, name: name})
	case "content-length-range":
		if len(elems) != 3 {
			return invalid("Invalid content-length-range: it takes a minimum and a maximum.")
		}
		lo, ok1 := size(elems[1])
		hi, ok2 := size(elems[2])
		if !ok1 || !ok2 || lo > hi {
			return invalid("Invalid content-length-range: the minimum and maximum must be integers, 0 <= minimum <= maximum.")
		}
		if p.Length == nil {
			p.Length = &Range{Min: lo, Max: hi}
		} else {
			p.Length.Min, p.Length.Max = max(p.Length.Min, lo), min(p.Length.Max, hi)
		}
	default:
		return invalid("Invalid Condition: unknown operator '" + trim(op) + "'.")
	}
	return nil
}

// size reads a non-negative integer, as a JSON number or a decimal string.
func size(v any) (int64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = x
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// awsEscapes rewrites the escapes AWS allows in policy strings beyond JSON
// (\$ for '$', \v for a vertical tab) into JSON.
func awsEscapes(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\$`)) && !bytes.Contains(b, []byte(`\v`)) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case !inString:
			inString = c == '"'
			out = append(out, c)
		case c == '\\' && i+1 < len(b):
			switch b[i+1] {
			case '$':
				out = append(out, '$')
			case 'v':
				out = append(out, `\u000b`...)
			default:
				out = append(out, c, b[i+1])
			}
			i++
		default:
			inString = c != '"'
			out = append(out, c)
		}
	}
	return out
}

// trim keeps client text in messages short.
func trim(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// exempt reports whether a form field needs no condition.
func exempt(field string) bool {
	switch field {
	case "x-amz-signature", "file", "policy":
		return true
	}
	return strings.HasPrefix(field, "x-ignore-")
}

// exactOnly reports whether a field may only be matched exactly.
func exactOnly(field string) bool {
	return field == "bucket" || strings.HasPrefix(field, "x-amz-") && !strings.HasPrefix(field, "x-amz-meta-")
}

// ErrExpired is the failure of a policy used at or after its expiration.
var ErrExpired = denied("Policy expired.")

// Check decides a form against p at time now. fields are the form's
// fields by lower-case name (the file part excluded), bucket the bucket
// the request addresses. It checks, in order: expiration, every condition
// (in the policy's order), then that every field is named by a condition.
func (p *Policy) Check(now time.Time, bucket string, fields map[string]string) error {
	if !now.Before(p.Expiration) {
		return ErrExpired
	}
	covered := make(map[string]bool, len(p.Conditions))
	for _, c := range p.Conditions {
		covered[c.Field] = true
		v, ok := fields[c.Field]
		if c.Field == "bucket" {
			v, ok = bucket, true
		}
		switch {
		case !ok:
		case c.Op == Eq && v == c.Value:
			continue
		case c.Op == StartsWith && !exactOnly(c.Field) && strings.HasPrefix(v, c.Value):
			continue
		}
		return denied("Policy Condition failed: " + c.String())
	}
	var extra []string
	for name := range fields {
		if !covered[name] && !exempt(name) {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return denied("Extra input fields: " + strings.Join(extra, ", "))
	}
	return nil
}

// As extracts an *Error from err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
