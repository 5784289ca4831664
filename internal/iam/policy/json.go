package policy

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// maxDocBytes is a sanity cap, far above any AWS policy size limit (the IAM
// service enforces the real per-type limits before calling Parse).
const maxDocBytes = 128 << 10

// maxDepth bounds JSON nesting. The deepest legal policy shape is
// Statement[] -> {} -> Condition -> operator -> key -> [] (6 levels).
const maxDepth = 16

type jkind uint8

const (
	jString jkind = iota
	jNumber
	jBool
	jNull
	jObject
	jArray
)

func (k jkind) String() string {
	switch k {
	case jString:
		return "string"
	case jNumber:
		return "number"
	case jBool:
		return "boolean"
	case jNull:
		return "null"
	case jObject:
		return "object"
	default:
		return "array"
	}
}

// jvalue is an order-preserving JSON tree. encoding/json's map decoding
// loses member order and silently keeps the last of duplicate keys; a
// policy with two "Effect" members must be rejected, not guessed at.
type jvalue struct {
	kind jkind
	str  string // string value, number text, "true"/"false"
	obj  []jfield
	arr  []jvalue
}

type jfield struct {
	key string
	val jvalue
}

func (v *jvalue) get(key string) (*jvalue, bool) {
	for i := range v.obj {
		if v.obj[i].key == key {
			return &v.obj[i].val, true
		}
	}
	return nil, false
}

var errTooDeep = errors.New("document nested too deeply")

func decodeJSON(doc string) (jvalue, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	v, err := readJSON(dec, 0)
	if err != nil {
		return jvalue{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return jvalue{}, errors.New("unexpected data after the top-level object")
	}
	return v, nil
}

func readJSON(dec *json.Decoder, depth int) (jvalue, error) {
	if depth > maxDepth {
		return jvalue{}, errTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return jvalue{}, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := jvalue{kind: jObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return jvalue{}, err
				}
				key, ok := kt.(string)
				if !ok {
					return jvalue{}, errors.New("object key is not a string")
				}
				if _, dup := v.get(key); dup {
					return jvalue{}, errors.New("duplicate key " + quote(key))
				}
				val, err := readJSON(dec, depth+1)
				if err != nil {
					return jvalue{}, err
				}
				v.obj = append(v.obj, jfield{key: key, val: val})
			}
			if _, err := dec.Token(); err != nil { // '}'
				return jvalue{}, err
			}
			return v, nil
		case '[':
			v := jvalue{kind: jArray}
			for dec.More() {
				val, err := readJSON(dec, depth+1)
				if err != nil {
					return jvalue{}, err
				}
				v.arr = append(v.arr, val)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return jvalue{}, err
			}
			return v, nil
		}
		return jvalue{}, errors.New("unexpected delimiter")
	case string:
		return jvalue{kind: jString, str: t}, nil
	case json.Number:
		return jvalue{kind: jNumber, str: t.String()}, nil
	case bool:
		if t {
			return jvalue{kind: jBool, str: "true"}, nil
		}
		return jvalue{kind: jBool, str: "false"}, nil
	case nil:
		return jvalue{kind: jNull}, nil
	}
	return jvalue{}, errors.New("unexpected token")
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
