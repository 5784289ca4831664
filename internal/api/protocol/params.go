package protocol

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Limits on query/ec2query parameter sets. Bodies are already capped by the
// router (see doc.go); these keep a hostile but small body from making the
// decoder do outsized work.
const (
	maxParams      = 10000 // distinct keys in one request
	maxKeyLen      = 512   // bytes in one decoded key
	maxKeySegments = 32    // dot-separated segments in one key (nesting depth)
	maxListLen     = 1000  // elements in one list or map
	maxListIndex   = 1 << 20
)

// paramNode is one node of the parameter tree built from dotted keys:
// "Filter.1.Value.2=x" becomes root -> Filter -> 1 -> Value -> 2 (value x).
type paramNode struct {
	value    string
	hasValue bool
	children map[string]*paramNode
}

func (n *paramNode) child(name string) *paramNode {
	if n == nil {
		return nil
	}
	return n.children[name]
}

// leaf returns the scalar value at n, if n holds one.
func (n *paramNode) leaf() (string, bool) {
	if n == nil {
		return "", false
	}
	return n.value, n.hasValue
}

// parseParams parses one or more application/x-www-form-urlencoded strings
// (the URL query and the body) into a parameter tree. It rejects malformed
// escapes, invalid UTF-8, keys that appear twice (within or across sources),
// oversized keys and too many parameters.
func parseParams(sources ...string) (*paramNode, error) {
	root := &paramNode{}
	count := 0
	for _, src := range sources {
		for src != "" {
			var pair string
			pair, src, _ = strings.Cut(src, "&")
			if pair == "" {
				continue
			}
			if strings.Contains(pair, ";") {
				return nil, inputErr("malformed query string: ';' is not a parameter separator")
			}
			rawKey, rawVal, _ := strings.Cut(pair, "=")
			key, err := url.QueryUnescape(rawKey)
			if err != nil {
				return nil, inputErr("malformed query string: bad escape in parameter name")
			}
			val, err := url.QueryUnescape(rawVal)
			if err != nil {
				return nil, inputErr("malformed query string: bad escape in value of %s", truncate(key))
			}
			if !utf8.ValidString(key) || !utf8.ValidString(val) {
				return nil, inputErr("malformed query string: parameters must be valid UTF-8")
			}
			if key == "" {
				return nil, inputErr("malformed query string: empty parameter name")
			}
			if len(key) > maxKeyLen {
				return nil, inputErr("parameter name %s... is longer than %d bytes", truncate(key), maxKeyLen)
			}
			if count++; count > maxParams {
				return nil, inputErr("too many parameters (limit %d)", maxParams)
			}
			if err := root.insert(key, val); err != nil {
				return nil, err
			}
		}
	}
	return root, nil
}

func (n *paramNode) insert(key, val string) error {
	if strings.Count(key, ".") >= maxKeySegments {
		return inputErr("parameter %s is nested deeper than %d levels", truncate(key), maxKeySegments)
	}
	cur := n
	rest := key
	for {
		seg, tail, more := strings.Cut(rest, ".")
		if seg == "" {
			return inputErr("malformed parameter name %q", truncate(key))
		}
		if cur.children == nil {
			cur.children = make(map[string]*paramNode)
		}
		next := cur.children[seg]
		if next == nil {
			next = &paramNode{}
			cur.children[seg] = next
		}
		cur = next
		if !more {
			break
		}
		rest = tail
	}
	if cur.hasValue {
		return inputErr("parameter %s appears more than once", truncate(key))
	}
	cur.value, cur.hasValue = val, true
	return nil
}

func truncate(s string) string {
	if len(s) > 64 {
		s = s[:64]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// InputError is a client mistake found while decoding a request: a missing
// required member, a value of the wrong type, a malformed body. The Endpoint
// renders it as the service's ValidationCode (or MissingParameter on EC2).
type InputError struct {
	// Missing lists the wire paths of absent required members.
	Missing []string
	// Msg describes any other problem.
	Msg string
	// Serialization marks a JSON/CBOR body that is not well formed.
	Serialization bool
	// Err is the underlying cause, if any.
	Err error
}

func (e *InputError) Error() string {
	if len(e.Missing) > 0 {
		return "missing required parameters: " + strings.Join(e.Missing, ", ")
	}
	return e.Msg
}

func (e *InputError) Unwrap() error { return e.Err }

func inputErr(format string, args ...any) *InputError {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}
