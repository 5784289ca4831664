package s3

import (
	"net"
	"net/http"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/s3"
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

// ValidateBucketName applies S3's bucket naming rules (s3.CheckBucketName)
// and renders a violation as InvalidBucketName.
func ValidateBucketName(b string) error {
	if err := s3.CheckBucketName(b); err != nil {
		e, _ := mapError(err)
		e.Resource = b
		return e
	}
	return nil
}
