package sigv4

import (
	"crypto/sha256"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/checksum"
)

// Payload is the verified body of a streamed (S3) request, as returned by
// VerifyStream. Read returns the decoded payload; the integrity check that
// covers the last byte runs before io.EOF is returned, and a failure is
// returned instead of io.EOF. Consumers must therefore commit what they read
// only after Read returned io.EOF, never on a byte count.
type Payload struct {
	body     io.ReadCloser
	r        io.Reader
	length   int64
	encoding string
	chunks   *chunkedReader
}

// Read reads decoded payload bytes.
func (p *Payload) Read(b []byte) (int, error) { return p.r.Read(b) }

// Close closes the request body.
func (p *Payload) Close() error { return p.body.Close() }

// ContentLength is the decoded payload length when the client declared it
// (Content-Length, or x-amz-decoded-content-length for aws-chunked), -1
// otherwise. It is enforced: a body of another length fails.
func (p *Payload) ContentLength() int64 { return p.length }

// ContentEncoding is the request's Content-Encoding without the aws-chunked
// transport coding: the value S3 stores with the object ("" for a plain
// aws-chunked upload, "gzip" for "gzip,aws-chunked").
func (p *Payload) ContentEncoding() string { return p.encoding }

// Trailer returns the aws-chunked trailing headers (lower-case names such as
// x-amz-checksum-crc32 with their base64 values), each already verified
// against the payload. It is nil until Read has returned io.EOF, and nil for
// requests without trailers.
func (p *Payload) Trailer() http.Header {
	if p.chunks == nil || p.chunks.state != stDone {
		return nil
	}
	return p.chunks.trailer
}

// VerifyStream verifies the signature of a streamed request (S3) over its
// headers and declared x-amz-content-sha256, and returns a reader over the
// payload that verifies the rest while streaming, in constant memory:
//
//   - a hex SHA-256: the body is hashed; a mismatch is ErrContentSHA256Mismatch
//     in place of io.EOF.
//   - UNSIGNED-PAYLOAD (and presigned S3 requests without the header): the
//     body passes through.
//   - STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: aws-chunked framing is
//     decoded and every chunk signature checked in a chain seeded by the
//     request signature, then the trailer signature.
//   - STREAMING-UNSIGNED-PAYLOAD-TRAILER: aws-chunked framing without
//     signatures.
//
// Trailing checksums named by x-amz-trailer are checked against the decoded
// payload (ErrBadDigest) and exposed by Payload.Trailer;
// x-amz-decoded-content-length, when sent, must match. A data chunk is
// checked when it ends, so bytes of a bad chunk may already have been
// returned, but the error always replaces io.EOF.
func (v *Verifier) VerifyStream(r *http.Request, a *Auth, secret string) (*Payload, error) {
	payload := a.PayloadHash
	switch {
	case payload == "" && a.Presigned && singleEncoded(a.Service):
		payload = UnsignedPayload
	case payload == "":
		return nil, wrap(ErrMissingContentSHA256, "missing required header for this request: x-amz-content-sha256")
	case payload == UnsignedPayload, isHexSHA256(payload),
		payload == StreamingPayload, payload == StreamingPayloadTrailer, payload == StreamingUnsignedPayloadTrailer:
	case strings.HasPrefix(payload, "STREAMING-AWS4-ECDSA-P256-SHA256-"):
		return nil, wrap(ErrUnsupportedAlgorithm, "SigV4a streaming payloads are not supported")
	default:
		return nil, wrap(ErrInvalidContentSHA256, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value")
	}
	key, err := v.verify(r, a, secret, payload)
	if err != nil {
		return nil, err
	}
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	p := &Payload{body: body, r: body, length: r.ContentLength, encoding: r.Header.Get("Content-Encoding")}
	if isHexSHA256(payload) {
		p.r = &hashReader{r: body, h: sha256.New(), want: payload}
		return p, nil
	}
	if !isStreaming(payload) {
		return p, nil
	}

	p.encoding = withoutAWSChunked(r.Header.Values("Content-Encoding"))
	cr := &chunkedReader{
		maxChunk: v.maxChunkSize,
		declared: -1,
		trailers: payload != StreamingPayload,
	}
	if payload != StreamingUnsignedPayloadTrailer {
		cr.signed = true
		cr.mac = newChunkMAC(key)
		cr.prefix = []byte(a.RequestTime.Format(amzDateFormat) + "\n" + a.Scope() + "\n")
		cr.prev = []byte(a.Signature)
		cr.chunkHash = sha256.New()
	}
	if vs := r.Header.Values("X-Amz-Decoded-Content-Length"); len(vs) > 0 {
		n, err := strconv.ParseInt(vs[0], 10, 64)
		if err != nil || n < 0 || len(vs) > 1 || vs[0][0] == '+' {
			return nil, wrap(ErrDecodedLengthMismatch, "x-amz-decoded-content-length %q is not a length", trimForMsg(vs[0]))
		}
		cr.declared = n
	}
	p.length = cr.declared
	if err := cr.setDeclaredTrailers(r.Header.Values("X-Amz-Trailer")); err != nil {
		return nil, err
	}
	cr.init(body)
	p.r, p.chunks = cr, cr
	return p, nil
}

// withoutAWSChunked drops the aws-chunked coding from a Content-Encoding
// list ("gzip,aws-chunked" -> "gzip").
func withoutAWSChunked(values []string) string {
	var keep []string
	for _, v := range values {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "aws-chunked") {
				keep = append(keep, c)
			}
		}
	}
	return strings.Join(keep, ",")
}

// setDeclaredTrailers reads x-amz-trailer: a comma-separated list of
// checksum headers the client will send after the payload.
func (c *chunkedReader) setDeclaredTrailers(values []string) error {
	for _, v := range values {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			if !c.trailers {
				return wrap(ErrMalformedTrailer, "x-amz-trailer is not allowed with STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
			}
			alg, err := checksum.FromHeader(name)
			if err != nil {
				return wrap(ErrMalformedTrailer, "unsupported trailer %q", trimForMsg(name))
			}
			for _, s := range c.sums {
				if s.alg == alg {
					return wrap(ErrMalformedTrailer, "trailer %q declared twice", name)
				}
			}
			c.sums = append(c.sums, trailerSum{alg: alg, name: name, h: checksum.New(alg)})
		}
	}
	return nil
}

// hashReader passes r through, hashing it, and returns
// ErrContentSHA256Mismatch instead of io.EOF if the hash is not want.
type hashReader struct {
	r    io.Reader
	h    hash.Hash
	want string
	err  error
}

func (h *hashReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	if err == io.EOF {
		if !hashEqualHex(h.h.Sum(nil), h.want) {
			err = wrap(ErrContentSHA256Mismatch, "the provided x-amz-content-sha256 header does not match what was computed")
		}
		h.err = err
	}
	return n, err
}
