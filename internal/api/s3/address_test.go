package s3

import (
	"testing"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
)

func TestParseAddress(t *testing.T) {
	domains := []string{"s3.localhost", "s3.example.test"}
	tests := []struct {
		host, path string
		want       Address
		wantCode   string
	}{
		{"127.0.0.1:4566", "/", Address{}, ""},
		{"127.0.0.1:4566", "/my-bucket", Address{Bucket: "my-bucket"}, ""},
		{"127.0.0.1:4566", "/my-bucket/", Address{Bucket: "my-bucket"}, ""},
		{"127.0.0.1:4566", "/my-bucket/a/b/../c.txt", Address{Bucket: "my-bucket", Key: "a/b/../c.txt"}, ""},
		{"my-bucket.s3.localhost:4566", "/photos/cat.jpg", Address{Bucket: "my-bucket", Key: "photos/cat.jpg", VirtualHost: true}, ""},
		{"My-Bucket.S3.Example.Test", "/k", Address{Bucket: "my-bucket", Key: "k", VirtualHost: true}, ""},
		{"s3.localhost:4566", "/b-1/k", Address{Bucket: "b-1", Key: "k"}, ""},
		{"127.0.0.1", "/../etc/passwd", Address{}, "InvalidBucketName"},
		{"127.0.0.1", "/..", Address{}, "InvalidBucketName"},
		{"127.0.0.1", "/a", Address{}, "InvalidBucketName"},
		{"127.0.0.1", "/UPPER", Address{}, "InvalidBucketName"},
		{"127.0.0.1", "/192.168.1.1", Address{}, "InvalidBucketName"},
		{"127.0.0.1", "/a..b", Address{}, "InvalidBucketName"},
		{"127.0.0.1", "/xn--abc", Address{}, "InvalidBucketName"},
		{"127.0.0.1", "/bucket-s3alias", Address{}, "InvalidBucketName"},
		{"ab.s3.localhost", "/k", Address{}, "InvalidBucketName"},
		{"127.0.0.1", "relative", Address{}, "InvalidURI"},
	}
	for _, tt := range tests {
		got, err := ParseAddress(tt.host, tt.path, domains)
		if tt.wantCode != "" {
			e, ok := awserr.As(err)
			if !ok || e.Code != tt.wantCode || e.Status != 400 {
				t.Errorf("%s %s: got %v, want %s", tt.host, tt.path, err, tt.wantCode)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s %s: got %+v %v, want %+v", tt.host, tt.path, got, err, tt.want)
		}
	}
}

func FuzzParseAddress(f *testing.F) {
	f.Add("b.s3.localhost", "/k")
	f.Add("127.0.0.1", "/bucket/../../x")
	f.Fuzz(func(t *testing.T, host, path string) {
		a, err := ParseAddress(host, path, []string{"s3.localhost"})
		if err == nil && a.Bucket != "" {
			if ValidateBucketName(a.Bucket) != nil {
				t.Fatalf("accepted invalid bucket %q", a.Bucket)
			}
		}
	})
}
