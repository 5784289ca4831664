package s3

import (
	"net"
	"net/http"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
)

// Address is the bucket and key a request names.
type Address struct {
	Bucket      string
	Key         string
	VirtualHost bool
}

// ParseAddress extracts bucket and key from the Host header (virtual-hosted
// style, for each of domains) or from the path (path style). The path is the
// decoded URL path.
func ParseAddress(host, path string, domains []string) (Address, error) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if !strings.HasPrefix(path, "/") {
		return Address{}, awserr.New(http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI.")
	}
	for _, d := range domains {
		if strings.HasSuffix(host, "."+d) {
			bucket := strings.TrimSuffix(host, "."+d)
			if err := ValidateBucketName(bucket); err != nil {
				return Address{}, err
			}
			return Address{Bucket: bucket, Key: path[1:], VirtualHost: true}, nil
		}
	}
	rest := path[1:]
	if rest == "" {
		return Address{}, nil // service level: ListBuckets
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if err := ValidateBucketName(bucket); err != nil {
		return Address{}, err
	}
	return Address{Bucket: bucket, Key: key}, nil
}

// ValidateBucketName applies S3's naming rules for general purpose buckets:
// 3-63 characters of lower-case letters, digits, '.' and '-', starting and
// ending with a letter or digit, no "..", not shaped like an IP address, and
// none of the reserved prefixes and suffixes.
func ValidateBucketName(b string) error {
	bad := func(why string) error {
		return &awserr.Error{Code: "InvalidBucketName", Message: "The specified bucket is not valid: " + why, Status: http.StatusBadRequest, Resource: b}
	}
	if len(b) < 3 || len(b) > 63 {
		return bad("bucket names must be between 3 and 63 characters long")
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("bucket names may contain only lower-case letters, digits, dots and hyphens")
		}
	}
	if !alnum(b[0]) || !alnum(b[len(b)-1]) {
		return bad("bucket names must begin and end with a letter or digit")
	}
	if strings.Contains(b, "..") {
		return bad("bucket names must not contain two adjacent periods")
	}
	if net.ParseIP(b) != nil {
		return bad("bucket names must not be formatted as an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(b, p) {
			return bad("bucket names must not start with " + p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(b, s) {
			return bad("bucket names must not end with " + s)
		}
	}
	return nil
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
