package s3

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"io"
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol/xmlbody"
	"github.com/nimbuscloud/nimbus/internal/checksum"
)

// readVerified reads a small request document (at most limit bytes) and
// checks it against Content-MD5 or an x-amz-checksum-* header, one of
// which S3 requires on such requests (DeleteObjects).
func readVerified(q *request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(q.body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, awserr.New(http.StatusBadRequest, "MaxMessageLengthExceeded", "Your request was too big.")
	}
	verified, err := verifyDigests(q, body)
	if err != nil {
		return nil, err
	}
	if !verified {
		return nil, awserr.New(http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: Content-MD5")
	}
	return body, nil
}

// verifyDigests checks body against the Content-MD5 and x-amz-checksum-*
// headers (or trailer) that were sent, and reports whether any was.
func verifyDigests(q *request, body []byte) (bool, error) {
	h := q.r.Header
	verified := false
	if v := h.Get("Content-Md5"); v != "" {
		want, err := base64.StdEncoding.Strict().DecodeString(v)
		if err != nil || len(want) != md5.Size {
			return false, awserr.New(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified is not valid.")
		}
		got := md5.Sum(body)
		if !bytes.Equal(want, got[:]) {
			return false, awserr.New(http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.")
		}
		verified = true
	}
	for _, alg := range checksum.Algorithms() {
		v := h.Get(checksum.HeaderName(alg))
		if v == "" {
			continue
		}
		want, err := checksum.Decode(alg, v)
		if err != nil {
			return false, awserr.New(http.StatusBadRequest, "InvalidRequest", "Value for %s header is invalid.", checksum.HeaderName(alg))
		}
		sum := checksum.New(alg)
		sum.Write(body)
		if !bytes.Equal(want, sum.Sum(nil)) {
			return false, awserr.New(http.StatusBadRequest, "BadDigest", "The %s you specified did not match the calculated checksum.", alg)
		}
		verified = true
	}
	if t, ok := q.body.(trailered); ok && len(t.Trailer()) > 0 {
		verified = true // the gateway verified the trailing checksum
	}
	return verified, nil
}

func decodeXML(body []byte, v any) error {
	return xmlbody.Decode(bytes.NewReader(body), int64(len(body))+1, v)
}
