// Package xmlbody reads client XML request bodies safely and writes S3's
// XML error document. It is the only way the S3 (rest-xml) layer should turn
// a request body into a struct: Decode caps the size, rejects DOCTYPE and
// ENTITY declarations (entity-expansion bombs), processing instructions
// other than the XML declaration, non-UTF-8 input, excessive nesting, too
// many elements and anything after the root element, and only then hands
// the bytes to encoding/xml.
//
// It owns no state. It must never resolve external resources, expand
// entities, or log request contents; it knows nothing of S3 semantics
// beyond the error envelope (the S3 layer maps ErrTooLarge and ErrMalformed
// to MaxMessageLengthExceeded / MalformedXML).
package xmlbody
