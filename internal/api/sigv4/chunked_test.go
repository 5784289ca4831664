package sigv4

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/nimbuscloud/nimbus/internal/checksum"
)

// The AWS documentation examples: "Signature Calculations for the
// Authorization Header: Transferring Payload in Multiple Chunks" and
// "Signature calculations for trailing headers", 65536 + 1024 bytes of 'a'.
const (
	docAKID   = "AKIAIOSFODNN7EXAMPLE"
	docSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func docTime() time.Time { return time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC) }

type docVector struct {
	payload, signedHeaders, seed string
	chunkSigs                    [3]string
	trailer                      string // trailer section lines, CRLF-terminated
}

func docChunked() docVector {
	return docVector{
		payload:       StreamingPayload,
		signedHeaders: "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
		seed:          "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
		chunkSigs: [3]string{
			"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
			"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
			"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
		},
	}
}

func docTrailer() docVector {
	return docVector{
		payload:       StreamingPayloadTrailer,
		signedHeaders: "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
		seed:          "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
		chunkSigs: [3]string{
			"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
			"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
			"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
		},
		trailer: "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n",
	}
}

func (d docVector) request(body []byte) *http.Request {
	r := httptest.NewRequest("PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", bytes.NewReader(body))
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Content-Sha256", d.payload)
	r.Header.Set("X-Amz-Date", "20130524T000000Z")
	r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	if d.trailer != "" {
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
	}
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+docAKID+"/20130524/us-east-1/s3/aws4_request,SignedHeaders="+d.signedHeaders+",Signature="+d.seed)
	return r
}

func (d docVector) body() []byte {
	var b bytes.Buffer
	for i, n := range []int{65536, 1024, 0} {
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", n, d.chunkSigs[i])
		if n > 0 {
			b.Write(bytes.Repeat([]byte("a"), n))
			b.WriteString("\r\n")
		}
	}
	b.WriteString(d.trailer + "\r\n")
	return b.Bytes()
}

func TestAWSDocChunkedExamples(t *testing.T) {
	for name, d := range map[string]docVector{"chunked": docChunked(), "trailer": docTrailer()} {
		t.Run(name, func(t *testing.T) {
			body := d.body()
			if d.trailer == "" && len(body) != 66824 {
				t.Fatalf("encoded length %d, the documentation says 66824", len(body))
			}
			r := d.request(body)
			a, err := Parse(r)
			wantErr(t, err, nil)
			p, err := verifierAt(docTime()).VerifyStream(r, a, docSecret)
			wantErr(t, err, nil)
			if p.ContentLength() != 66560 || p.ContentEncoding() != "" {
				t.Fatalf("length %d encoding %q", p.ContentLength(), p.ContentEncoding())
			}
			got, err := io.ReadAll(iotest.OneByteReader(p))
			wantErr(t, err, nil)
			if !bytes.Equal(got, bytes.Repeat([]byte("a"), 66560)) {
				t.Fatalf("decoded %d bytes", len(got))
			}
			if d.trailer != "" && p.Trailer().Get("x-amz-checksum-crc32c") != "sOO8/Q==" {
				t.Fatalf("trailer = %v", p.Trailer())
			}
		})
	}
}

func TestAWSDocChunkTampered(t *testing.T) {
	for name, tc := range map[string]struct {
		d      docVector
		mutate func(b []byte) []byte
		want   error
	}{
		"data byte":      {docChunked(), func(b []byte) []byte { b[66000] = 'b'; return b }, ErrChunkSignatureMismatch},
		"last chunk sig": {docChunked(), func(b []byte) []byte { return bytes.Replace(b, []byte("b6c6ea8a"), []byte("b6c6ea8b"), 1) }, ErrChunkSignatureMismatch},
		"trailer value":  {docTrailer(), func(b []byte) []byte { return bytes.Replace(b, []byte("sOO8/Q=="), []byte("sOO8/R=="), 1) }, ErrChunkSignatureMismatch},
		"trailer sig":    {docTrailer(), func(b []byte) []byte { return bytes.Replace(b, []byte("d81f82fc"), []byte("d81f82fd"), 1) }, ErrChunkSignatureMismatch},
		"truncated":      {docChunked(), func(b []byte) []byte { return b[:len(b)-3] }, ErrMalformedChunk},
		"trailing junk":  {docChunked(), func(b []byte) []byte { return append(b, 'x') }, ErrMalformedChunk},
	} {
		t.Run(name, func(t *testing.T) {
			r := tc.d.request(tc.mutate(tc.d.body()))
			r.ContentLength = 66824 // as signed; a server sees the body end early or late
			a, err := Parse(r)
			wantErr(t, err, nil)
			p, err := verifierAt(docTime()).VerifyStream(r, a, docSecret)
			wantErr(t, err, nil)
			_, err = io.ReadAll(p)
			wantErr(t, err, tc.want)
			if p.Trailer() != nil {
				t.Fatal("trailer exposed after failure")
			}
		})
	}
}

// streamRequest builds a header-signed S3 PUT whose seed signature the test
// computes itself, then encodes data with the test's chunk signer.
type streamCase struct {
	payload    string
	data       []byte
	chunk      int
	trailers   []string // "name:value" lines
	declared   []string // x-amz-trailer
	decodedLen string   // "" = len(data)
	corruptAt  int
	mutate     func(body []byte) []byte
}

func (c streamCase) request(t testing.TB) (*http.Request, *Verifier) {
	t.Helper()
	hdr := http.Header{
		"X-Amz-Content-Sha256": {c.payload},
		"Content-Encoding":     {"gzip,aws-chunked"},
	}
	if c.decodedLen == "" {
		c.decodedLen = fmt.Sprint(len(c.data))
	}
	if c.decodedLen != "-" {
		hdr.Set("X-Amz-Decoded-Content-Length", c.decodedLen)
	}
	if len(c.declared) > 0 {
		hdr.Set("X-Amz-Trailer", strings.Join(c.declared, ","))
	}
	s := signSpec{method: "PUT", service: "s3", url: "https://s3.amazonaws.com/bucket/obj", header: hdr, payloadHash: c.payload}.defaults()
	req := s.request(t)
	r := sdkSign(t, s)
	_ = req
	a, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	cs := &chunkSigner{
		key: deriveKey(testSecret, a.Date, a.Region, a.Service), amzDate: a.RequestTime.Format(amzDateFormat),
		scope: a.Scope(), prev: a.Signature, unsigned: c.payload == StreamingUnsignedPayloadTrailer, corruptAt: c.corruptAt,
	}
	body := cs.encode(c.data, c.chunk, c.trailers...)
	if c.mutate != nil {
		body = c.mutate(body)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return r, verifierAt(signTime())
}

func crcTrailer(alg checksum.Algorithm, data []byte) string {
	h := checksum.New(alg)
	h.Write(data)
	return checksum.HeaderName(alg) + ":" + checksum.Encode(h.Sum(nil))
}

func TestChunkedStreams(t *testing.T) {
	data := make([]byte, 200_003)
	for i := range data {
		data[i] = byte(i * 7)
	}
	small := []byte("hello world")
	for name, c := range map[string]streamCase{
		"signed multi-chunk":     {payload: StreamingPayload, data: data, chunk: 65536, corruptAt: -1},
		"signed tiny chunks":     {payload: StreamingPayload, data: small, chunk: 1, corruptAt: -1},
		"signed empty":           {payload: StreamingPayload, data: nil, chunk: 10, corruptAt: -1},
		"signed trailer crc64":   {payload: StreamingPayloadTrailer, data: data, chunk: 8192, corruptAt: -1, declared: []string{"x-amz-checksum-crc64nvme"}, trailers: []string{crcTrailer(checksum.CRC64NVME, data)}},
		"signed trailer sha256":  {payload: StreamingPayloadTrailer, data: small, chunk: 4, corruptAt: -1, declared: []string{"x-amz-checksum-sha256"}, trailers: []string{crcTrailer(checksum.SHA256, small)}},
		"unsigned trailer crc32": {payload: StreamingUnsignedPayloadTrailer, data: data, chunk: 65536, corruptAt: -1, declared: []string{"x-amz-checksum-crc32"}, trailers: []string{crcTrailer(checksum.CRC32, data)}},
		"unsigned trailer sha1":  {payload: StreamingUnsignedPayloadTrailer, data: data, chunk: len(data), corruptAt: -1, declared: []string{"x-amz-checksum-sha1"}, trailers: []string{crcTrailer(checksum.SHA1, data)}},
		"unsigned no trailer":    {payload: StreamingUnsignedPayloadTrailer, data: small, chunk: 3, corruptAt: -1},
		"no decoded length":      {payload: StreamingPayload, data: small, chunk: 5, corruptAt: -1, decodedLen: "-"},
		"two checksums":          {payload: StreamingUnsignedPayloadTrailer, data: small, chunk: 5, corruptAt: -1, declared: []string{"x-amz-checksum-crc32", "x-amz-checksum-crc32c"}, trailers: []string{crcTrailer(checksum.CRC32C, small), crcTrailer(checksum.CRC32, small)}},
		"upper-case size hex":    {payload: StreamingUnsignedPayloadTrailer, data: data, chunk: 0xABCD, corruptAt: -1, mutate: func(b []byte) []byte { return bytes.Replace(b, []byte("abcd\r\n"), []byte("ABCD\r\n"), -1) }},
	} {
		t.Run(name, func(t *testing.T) {
			r, v := c.request(t)
			a, err := Parse(r)
			wantErr(t, err, nil)
			p, err := v.VerifyStream(r, a, testSecret)
			wantErr(t, err, nil)
			if p.ContentEncoding() != "gzip" {
				t.Errorf("ContentEncoding = %q", p.ContentEncoding())
			}
			got, err := io.ReadAll(iotest.HalfReader(p))
			wantErr(t, err, nil)
			if !bytes.Equal(got, c.data) {
				t.Fatalf("decoded %d bytes, want %d", len(got), len(c.data))
			}
			for _, tr := range c.trailers {
				k, val, _ := strings.Cut(tr, ":")
				if p.Trailer().Get(k) != val {
					t.Errorf("Trailer()[%s] = %q, want %q", k, p.Trailer().Get(k), val)
				}
			}
			wantErr(t, p.Close(), nil)
		})
	}
}

func TestChunkedStreamFailures(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 3000)
	crc := crcTrailer(checksum.CRC32, data)
	badCRC := crcTrailer(checksum.CRC32, data[1:])
	crcDecl := []string{"x-amz-checksum-crc32"}
	u, s, st := StreamingUnsignedPayloadTrailer, StreamingPayload, StreamingPayloadTrailer
	for name, c := range map[string]struct {
		streamCase
		want     error
		atVerify bool // error from VerifyStream rather than Read
	}{
		"bad chunk sig first":  {streamCase: streamCase{payload: s, data: data, chunk: 8000, corruptAt: 0}, want: ErrChunkSignatureMismatch},
		"bad chunk sig middle": {streamCase: streamCase{payload: s, data: data, chunk: 8000, corruptAt: 2}, want: ErrChunkSignatureMismatch},
		"bad final chunk sig":  {streamCase: streamCase{payload: s, data: data, chunk: 8000, corruptAt: 4}, want: ErrChunkSignatureMismatch},
		"signed chunk missing sig": {streamCase: streamCase{payload: s, data: data, chunk: 8000, corruptAt: -1, mutate: func(b []byte) []byte {
			return bytes.Replace(b, []byte(";chunk-signature="), []byte(";chunk-signaturx="), 1)
		}}, want: ErrMalformedChunk},
		"reordered chunks": {streamCase: streamCase{payload: s, data: []byte("aaaabbbb"), chunk: 4, corruptAt: -1, mutate: func(b []byte) []byte {
			parts := bytes.SplitAfterN(b, []byte("\r\n"), 5) // line, data, line, data, rest
			return bytes.Join([][]byte{parts[2], parts[3], parts[0], parts[1], parts[4]}, nil)
		}}, want: ErrChunkSignatureMismatch},
		"bad trailer checksum":        {streamCase: streamCase{payload: u, data: data, chunk: 8000, corruptAt: -1, declared: crcDecl, trailers: []string{badCRC}}, want: ErrBadDigest},
		"bad signed trailer checksum": {streamCase: streamCase{payload: st, data: data, chunk: 8000, corruptAt: -1, declared: crcDecl, trailers: []string{badCRC}}, want: ErrBadDigest},
		"trailer missing":             {streamCase: streamCase{payload: u, data: data, chunk: 8000, corruptAt: -1, declared: crcDecl}, want: ErrMalformedTrailer},
		"trailer undeclared":          {streamCase: streamCase{payload: u, data: data, chunk: 8000, corruptAt: -1, trailers: []string{crc}}, want: ErrMalformedTrailer},
		"trailer not base64":          {streamCase: streamCase{payload: u, data: data, chunk: 8000, corruptAt: -1, declared: crcDecl, trailers: []string{"x-amz-checksum-crc32:!!!!!!!!"}}, want: ErrMalformedTrailer},
		"trailer twice":               {streamCase: streamCase{payload: u, data: data, chunk: 8000, corruptAt: -1, declared: crcDecl, trailers: []string{crc, crc}}, want: ErrMalformedTrailer},
		"signed trailer sig missing": {streamCase: streamCase{payload: st, data: data, chunk: 8000, corruptAt: -1, declared: crcDecl, trailers: []string{crc}, mutate: func(b []byte) []byte {
			return bytes.Replace(b, []byte("x-amz-trailer-signature"), []byte("x-amz-trailer-signaturx"), 1)
		}}, want: ErrMalformedTrailer},
		"trailer on plain streaming":   {streamCase: streamCase{payload: s, data: data, chunk: 8000, corruptAt: -1, trailers: []string{crc}}, want: ErrMalformedTrailer},
		"unsupported trailer declared": {streamCase: streamCase{payload: u, data: data, chunk: 8000, corruptAt: -1, declared: []string{"content-md5"}}, want: ErrMalformedTrailer, atVerify: true},
		"decoded length short":         {streamCase: streamCase{payload: u, data: data, chunk: 8000, corruptAt: -1, decodedLen: "29999"}, want: ErrDecodedLengthMismatch},
		"decoded length long":          {streamCase: streamCase{payload: u, data: data, chunk: 8000, corruptAt: -1, decodedLen: "30001"}, want: ErrDecodedLengthMismatch},
		"decoded length invalid":       {streamCase: streamCase{payload: u, data: data, chunk: 8000, corruptAt: -1, decodedLen: "-1"}, want: ErrDecodedLengthMismatch, atVerify: true},
		"truncated in data":            {streamCase: streamCase{payload: u, data: data, chunk: 8000, corruptAt: -1, mutate: func(b []byte) []byte { return b[:100] }}, want: ErrMalformedChunk},
		"truncated in line":            {streamCase: streamCase{payload: s, data: data, chunk: 8000, corruptAt: -1, mutate: func(b []byte) []byte { return b[:20] }}, want: ErrMalformedChunk},
		"truncated before final":       {streamCase: streamCase{payload: u, data: data, chunk: 30000, corruptAt: -1, mutate: func(b []byte) []byte { return b[:len(b)-5] }}, want: ErrMalformedChunk},
		"no CRLF after data":           {streamCase: streamCase{payload: u, data: []byte("abc"), chunk: 3, corruptAt: -1, decodedLen: "-", mutate: func(b []byte) []byte { return bytes.Replace(b, []byte("abc\r\n"), []byte("abcX\r\n"), 1) }}, want: ErrMalformedChunk},
		"LF only line":                 {streamCase: streamCase{payload: u, data: []byte("abc"), chunk: 3, corruptAt: -1, mutate: func(b []byte) []byte { return bytes.Replace(b, []byte("3\r\n"), []byte("3\n"), 1) }}, want: ErrMalformedChunk},
		"oversize chunk header": {streamCase: streamCase{payload: u, data: []byte("abc"), chunk: 3, corruptAt: -1, decodedLen: "-", mutate: func(b []byte) []byte {
			return append([]byte("1"+strings.Repeat("0", 300)+"\r\n"), b...)
		}}, want: ErrMalformedChunk},
		"line without newline": {streamCase: streamCase{payload: u, data: []byte("abc"), chunk: 3, corruptAt: -1, decodedLen: "-", mutate: func(b []byte) []byte {
			return bytes.Repeat([]byte("a"), 10000)
		}}, want: ErrMalformedChunk},
		"chunk over limit": {streamCase: streamCase{payload: u, data: []byte("abc"), chunk: 3, corruptAt: -1, decodedLen: "-", mutate: func(b []byte) []byte {
			return []byte("7fffffffffffffff\r\nabc")
		}}, want: ErrMalformedChunk},
		"chunk over decoded length": {streamCase: streamCase{payload: u, data: []byte("abc"), chunk: 3, corruptAt: -1, mutate: func(b []byte) []byte {
			return []byte("100000\r\nabc")
		}}, want: ErrDecodedLengthMismatch},
		"negative size":     {streamCase: streamCase{payload: u, data: []byte("abc"), chunk: 3, corruptAt: -1, mutate: func(b []byte) []byte { return append([]byte("-3\r\n"), b...) }}, want: ErrMalformedChunk},
		"unsigned with ext": {streamCase: streamCase{payload: u, data: []byte("abc"), chunk: 3, corruptAt: -1, mutate: func(b []byte) []byte { return bytes.Replace(b, []byte("3\r\n"), []byte("3;x=y\r\n"), 1) }}, want: ErrMalformedChunk},
		"empty body":        {streamCase: streamCase{payload: u, data: []byte("abc"), chunk: 3, corruptAt: -1, mutate: func(b []byte) []byte { return nil }}, want: ErrMalformedChunk},
	} {
		t.Run(name, func(t *testing.T) {
			r, v := c.request(t)
			a, err := Parse(r)
			wantErr(t, err, nil)
			p, err := v.VerifyStream(r, a, testSecret)
			if c.atVerify {
				wantErr(t, err, c.want)
				return
			}
			wantErr(t, err, nil)
			_, err = io.ReadAll(iotest.OneByteReader(p))
			wantErr(t, err, c.want)
			// The error is sticky.
			if _, err2 := p.Read(make([]byte, 10)); err2 == nil || err2 == io.EOF {
				t.Fatalf("read after error = %v", err2)
			}
			if p.Trailer() != nil {
				t.Fatal("trailer exposed after failure")
			}
		})
	}
}

func TestChunkedSmallMaxChunk(t *testing.T) {
	c := streamCase{payload: StreamingUnsignedPayloadTrailer, data: make([]byte, 1000), chunk: 1000, corruptAt: -1}
	r, _ := c.request(t)
	v := NewVerifier(Config{Now: signTime, MaxChunkSize: 999})
	a, _ := Parse(r)
	p, err := v.VerifyStream(r, a, testSecret)
	wantErr(t, err, nil)
	_, err = io.ReadAll(p)
	wantErr(t, err, ErrMalformedChunk)
}
