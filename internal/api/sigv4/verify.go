package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultMaxSkew      = 15 * time.Minute
	DefaultMaxChunkSize = 5 << 30 // S3's largest single PUT; SDKs may send a whole object as one chunk
	DefaultKeyCacheSize = 4096
)

// Config configures a Verifier.
type Config struct {
	// Now is the clock. Required.
	Now func() time.Time
	// MaxSkew bounds |now - X-Amz-Date| for header-signed requests and how
	// far in the future a presigned request may be dated.
	MaxSkew time.Duration
	// MaxChunkSize bounds one aws-chunked chunk.
	MaxChunkSize int64
	// KeyCacheSize bounds the number of cached signing keys.
	KeyCacheSize int
}

// Verifier checks SigV4 signatures. It is safe for concurrent use.
type Verifier struct {
	now          func() time.Time
	maxSkew      time.Duration
	maxChunkSize int64
	keys         keyCache
}

// NewVerifier returns a Verifier; zero Config fields take the defaults. It
// panics if c.Now is nil, which is a wiring bug.
func NewVerifier(c Config) *Verifier {
	if c.Now == nil {
		panic("sigv4: Config.Now is required")
	}
	if c.MaxSkew <= 0 {
		c.MaxSkew = DefaultMaxSkew
	}
	if c.MaxChunkSize <= 0 {
		c.MaxChunkSize = DefaultMaxChunkSize
	}
	if c.KeyCacheSize <= 0 {
		c.KeyCacheSize = DefaultKeyCacheSize
	}
	return &Verifier{now: c.Now, maxSkew: c.MaxSkew, maxChunkSize: c.MaxChunkSize, keys: keyCache{max: c.KeyCacheSize}}
}

// VerifyBytes verifies r, whose whole body the caller has already read, for
// the RPC protocols (query, JSON, CBOR). a must come from Parse(r) and
// secret is the secret key of a.AccessKeyID. The signed payload hash is
// hex(sha256(body)); UNSIGNED-PAYLOAD is refused except for S3; a hex
// x-amz-content-sha256 must equal the body's hash. Streaming payload modes
// are rejected with ErrInvalidContentSHA256: use VerifyStream.
func (v *Verifier) VerifyBytes(r *http.Request, a *Auth, secret string, body []byte) error {
	var sum [sha256.Size]byte
	payload := a.PayloadHash
	switch {
	case payload == "" && a.Presigned && singleEncoded(a.Service):
		payload = UnsignedPayload
	case payload == "":
		sum = sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
	case payload == UnsignedPayload && !singleEncoded(a.Service):
		// Only S3 may leave its payload unsigned: for RPC services the body
		// is the whole request, and an unsigned one could be swapped by
		// anyone replaying the signed headers.
		return wrap(ErrInvalidContentSHA256, "UNSIGNED-PAYLOAD is not accepted by service %s", a.Service)
	case payload == UnsignedPayload:
	case isHexSHA256(payload):
		sum = sha256.Sum256(body)
	case isStreaming(payload):
		return wrap(ErrInvalidContentSHA256, "streaming payload %q is not accepted for this request", payload)
	default:
		return wrap(ErrInvalidContentSHA256, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a hex SHA-256")
	}
	if _, err := v.verify(r, a, secret, payload); err != nil {
		return err
	}
	if isHexSHA256(a.PayloadHash) && !hashEqualHex(sum[:], a.PayloadHash) {
		return wrap(ErrContentSHA256Mismatch, "the provided x-amz-content-sha256 header does not match what was computed")
	}
	return nil
}

// verify checks time, unsigned x-amz-* headers and the signature of r over
// payloadHash. It returns the signing key for chunk signatures.
func (v *Verifier) verify(r *http.Request, a *Auth, secret, payloadHash string) ([]byte, error) {
	if err := v.checkTime(a); err != nil {
		return nil, err
	}
	if err := checkAmzHeadersSigned(r, a); err != nil {
		return nil, err
	}
	canonical, err := canonicalRequest(r, a, payloadHash)
	if err != nil {
		return nil, err
	}
	sts := stringToSign(a, canonical)
	key := v.keys.get(secret, a.Date, a.Region, a.Service)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(sts))
	if !hashEqualHex(mac.Sum(nil), a.Signature) {
		return nil, &SignatureMismatchError{CanonicalRequest: canonical, StringToSign: sts}
	}
	return key, nil
}

// CheckTime applies the clock checks alone (skew for header signatures,
// validity window for presigned ones). The gateway calls it before reading
// a body, so stale requests are refused without buffering anything;
// VerifyBytes and VerifyStream check it again.
func (v *Verifier) CheckTime(a *Auth) error { return v.checkTime(a) }

func (v *Verifier) checkTime(a *Auth) error {
	now := v.now()
	if a.Presigned {
		if a.RequestTime.Sub(now) > v.maxSkew {
			return wrap(ErrRequestNotYetValid, "request is not valid yet")
		}
		if now.After(a.RequestTime.Add(a.Expires)) {
			return wrap(ErrRequestExpired, "request has expired")
		}
		return nil
	}
	if d := now.Sub(a.RequestTime); d > v.maxSkew || d < -v.maxSkew {
		return wrap(ErrRequestTimeTooSkewed, "the difference between the request time and the current time is too large")
	}
	return nil
}

// checkAmzHeadersSigned rejects requests carrying x-amz-* headers that the
// signature does not cover, as S3 does: otherwise anyone replaying a signed
// request could add x-amz-acl, x-amz-copy-source or metadata. A presigned
// request may carry an unsigned x-amz-content-sha256 (some clients send it),
// since it only narrows what is accepted.
func checkAmzHeadersSigned(r *http.Request, a *Auth) error {
	for k := range r.Header {
		if len(k) < 6 || !strings.EqualFold(k[:6], "x-amz-") {
			continue
		}
		lk := strings.ToLower(k)
		if a.Presigned && lk == "x-amz-content-sha256" {
			continue
		}
		if !containsSorted(a.SignedHeaders, lk) {
			return wrap(ErrUnsignedHeader, "there were headers present in the request which were not signed: %s", trimForMsg(lk))
		}
	}
	return nil
}

func containsSorted(sorted []string, s string) bool {
	lo, hi := 0, len(sorted)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case sorted[m] == s:
			return true
		case sorted[m] < s:
			lo = m + 1
		default:
			hi = m
		}
	}
	return false
}

// hashEqualHex compares sum with a hex string in constant time.
func hashEqualHex(sum []byte, hx string) bool {
	var buf [64]byte
	if len(hx) != 2*len(sum) || len(sum) > 32 {
		return false
	}
	got := buf[:len(sum)]
	if _, err := hex.Decode(got, []byte(hx)); err != nil {
		return false
	}
	return hmac.Equal(got, sum)
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func isStreaming(s string) bool { return strings.HasPrefix(s, "STREAMING-") }
