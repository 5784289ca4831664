package xmlbody

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Limits applied by Decode beyond the caller's size limit.
const (
	MaxDepth    = 32      // element nesting
	MaxElements = 200_000 // start elements in one document
)

// ErrTooLarge is returned (wrapped) when the body exceeds the limit. S3
// answers MaxMessageLengthExceeded (or EntityTooLarge where it documents so).
var ErrTooLarge = errors.New("xmlbody: request body too large")

// ErrMalformed is returned (wrapped) for any body that is not a single,
// safe, well-formed UTF-8 XML document that decodes into v. S3 answers
// MalformedXML.
var ErrMalformed = errors.New("xmlbody: malformed XML")

// Decode reads at most limit bytes from r, checks them (see package doc)
// and unmarshals the document into v with encoding/xml.
func Decode(r io.Reader, limit int64, v any) error {
	if limit <= 0 {
		return fmt.Errorf("xmlbody: limit must be positive: %w", ErrTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return fmt.Errorf("xmlbody: read body: %w", err)
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	if err := Check(data); err != nil {
		return err
	}
	if err := xml.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

// Check validates data as a safe document without decoding it.
func Check(data []byte) error {
	if !utf8.Valid(data) {
		return fmt.Errorf("%w: not valid UTF-8", ErrMalformed)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	depth, elements, roots := 0, 0, 0
	first := true
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if roots++; roots > 1 {
					return fmt.Errorf("%w: more than one root element", ErrMalformed)
				}
			}
			if depth++; depth > MaxDepth {
				return fmt.Errorf("%w: nested deeper than %d elements", ErrMalformed, MaxDepth)
			}
			if elements++; elements > MaxElements {
				return fmt.Errorf("%w: more than %d elements", ErrMalformed, MaxElements)
			}
		case xml.EndElement:
			depth--
			if depth < 0 {
				return fmt.Errorf("%w: unbalanced end element", ErrMalformed)
			}
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return fmt.Errorf("%w: text outside the root element", ErrMalformed)
			}
		case xml.Directive:
			return fmt.Errorf("%w: DOCTYPE and ENTITY declarations are not allowed", ErrMalformed)
		case xml.ProcInst:
			if t.Target != "xml" || !first {
				return fmt.Errorf("%w: processing instructions are not allowed", ErrMalformed)
			}
			if enc := declEncoding(string(t.Inst)); enc != "" && !strings.EqualFold(enc, "utf-8") {
				return fmt.Errorf("%w: encoding %q is not supported (use UTF-8)", ErrMalformed, enc)
			}
		case xml.Comment:
		}
		first = false
	}
	if roots == 0 {
		return fmt.Errorf("%w: no root element", ErrMalformed)
	}
	if depth != 0 {
		return fmt.Errorf("%w: unexpected end of document", ErrMalformed)
	}
	return nil
}

// declEncoding extracts encoding="..." from an XML declaration.
func declEncoding(inst string) string {
	i := strings.Index(inst, "encoding=")
	if i < 0 {
		return ""
	}
	rest := inst[i+len("encoding="):]
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return rest
	}
	q := rest[0]
	end := strings.IndexByte(rest[1:], q)
	if end < 0 {
		return rest
	}
	return rest[1 : 1+end]
}
