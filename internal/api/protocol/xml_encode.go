package protocol

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"reflect"
	"sync"
)

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// encodeQueryXML renders a query-protocol success response:
//
//	<{Action}Response xmlns="{ns}">
//	  <{Action}Result>…output…</{Action}Result>
//	  <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
//	</{Action}Response>
//
// An output type with no fields (a "unit" output such as DeleteUser's) gets
// no Result element, as AWS does; the SDKs accept both.
func encodeQueryXML(pool *sync.Pool, action, ns, requestID string, out any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString("<" + action + "Response xmlns=\"")
	_ = xml.EscapeText(&b, []byte(ns))
	b.WriteString("\">")
	if hasFields(out) {
		if err := encodeElement(pool, &b, out, action+"Result"); err != nil {
			return nil, fmt.Errorf("encode %s result: %w", action, err)
		}
	}
	b.WriteString("<ResponseMetadata><RequestId>")
	_ = xml.EscapeText(&b, []byte(requestID))
	b.WriteString("</RequestId></ResponseMetadata></" + action + "Response>")
	return b.Bytes(), nil
}

// encodeEC2XML renders an ec2query success response: the output members
// directly under <{Action}Response xmlns="{ns}">, after <requestId>.
func encodeEC2XML(pool *sync.Pool, action, ns, requestID string, out any) ([]byte, error) {
	var body bytes.Buffer
	if hasFields(out) {
		if err := encodeElement(pool, &body, out, "x"); err != nil {
			return nil, fmt.Errorf("encode %s response: %w", action, err)
		}
	}
	inner := body.Bytes()
	// Strip the temporary <x> … </x> wrapper; encoding/xml never
	// self-closes and escapes '>' in attributes, so the first '>' ends it.
	if len(inner) > 0 {
		start := bytes.IndexByte(inner, '>')
		if start < 0 || !bytes.HasSuffix(inner, []byte("</x>")) {
			return nil, fmt.Errorf("encode %s response: unexpected wrapper", action)
		}
		inner = inner[start+1 : len(inner)-len("</x>")]
	}
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString("<" + action + "Response xmlns=\"")
	_ = xml.EscapeText(&b, []byte(ns))
	b.WriteString("\"><requestId>")
	_ = xml.EscapeText(&b, []byte(requestID))
	b.WriteString("</requestId>")
	b.Write(inner)
	b.WriteString("</" + action + "Response>")
	return b.Bytes(), nil
}

// xmlScratch is an encoder bound to its own buffer, reused across requests
// (encoding/xml allocates a 4 KiB bufio.Writer per NewEncoder).
type xmlScratch struct {
	buf bytes.Buffer
	enc *xml.Encoder
}

// encodeElement appends v as element name to dst, reusing the Endpoint's
// pooled encoders.
func encodeElement(pool *sync.Pool, dst *bytes.Buffer, v any, name string) error {
	s, _ := pool.Get().(*xmlScratch)
	if s == nil {
		s = &xmlScratch{}
		s.enc = xml.NewEncoder(&s.buf)
	}
	err := s.enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: name}})
	if err == nil {
		err = s.enc.Flush()
	}
	if err != nil {
		return err // an encoder that failed mid-element is dropped, not pooled
	}
	dst.Write(s.buf.Bytes())
	s.buf.Reset()
	if s.buf.Cap() <= 64<<10 {
		pool.Put(s)
	}
	return nil
}

func hasFields(out any) bool {
	if out == nil {
		return false
	}
	t := reflect.TypeOf(out)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() != reflect.Struct || t.NumField() > 0
}

// queryErrorXML renders the awsQuery error envelope the SDKs parse
// (ErrorResponse/Error/{Type,Code,Message} and RequestId).
func queryErrorXML(ns, code, message string, server bool, requestID string) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString(`<ErrorResponse xmlns="`)
	_ = xml.EscapeText(&b, []byte(ns))
	b.WriteString(`"><Error><Type>`)
	if server {
		b.WriteString("Receiver")
	} else {
		b.WriteString("Sender")
	}
	b.WriteString("</Type><Code>")
	_ = xml.EscapeText(&b, []byte(code))
	b.WriteString("</Code><Message>")
	_ = xml.EscapeText(&b, []byte(message))
	b.WriteString("</Message></Error><RequestId>")
	_ = xml.EscapeText(&b, []byte(requestID))
	b.WriteString("</RequestId></ErrorResponse>")
	return b.Bytes()
}

// ec2ErrorXML renders the EC2 error envelope
// (Response/Errors/Error/{Code,Message} and RequestID).
func ec2ErrorXML(code, message, requestID string) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString("<Response><Errors><Error><Code>")
	_ = xml.EscapeText(&b, []byte(code))
	b.WriteString("</Code><Message>")
	_ = xml.EscapeText(&b, []byte(message))
	b.WriteString("</Message></Error></Errors><RequestID>")
	_ = xml.EscapeText(&b, []byte(requestID))
	b.WriteString("</RequestID></Response>")
	return b.Bytes()
}
