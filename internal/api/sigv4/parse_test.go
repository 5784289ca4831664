package sigv4

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

const goodSig = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"

func TestParseAuthorization(t *testing.T) {
	cred := "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"
	for _, tc := range []struct {
		name, h string
		want    error
	}{
		{"aws doc example", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;range;x-amz-date, Signature=" + goodSig, nil},
		{"no spaces", "AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host;x-amz-date,Signature=" + goodSig, nil},
		{"any order", "AWS4-HMAC-SHA256 Signature=" + goodSig + ", SignedHeaders=host, " + cred, nil},
		{"sigv2", "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", ErrSigV2},
		{"sigv4a", "AWS4-ECDSA-P256-SHA256 " + cred + ", SignedHeaders=host, Signature=" + goodSig, ErrUnsupportedAlgorithm},
		{"bearer", "Bearer abc", ErrUnsupportedAlgorithm},
		{"empty", "", ErrUnsupportedAlgorithm},
		{"missing credential", "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + goodSig, ErrIncompleteSignature},
		{"missing signed headers", "AWS4-HMAC-SHA256 " + cred + ", Signature=" + goodSig, ErrIncompleteSignature},
		{"missing signature", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host", ErrIncompleteSignature},
		{"nothing after scheme", "AWS4-HMAC-SHA256", ErrIncompleteSignature},
		{"repeated component", "AWS4-HMAC-SHA256 " + cred + ", " + cred + ", SignedHeaders=host, Signature=" + goodSig, ErrMalformedAuth},
		{"unknown component", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=" + goodSig + ", Foo=bar", ErrMalformedAuth},
		{"not key=value", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders, Signature=" + goodSig, ErrMalformedAuth},
		{"short credential", "AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3, SignedHeaders=host, Signature=" + goodSig, ErrMalformedAuth},
		{"bad terminal", "AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_requesx, SignedHeaders=host, Signature=" + goodSig, ErrMalformedAuth},
		{"bad date", "AWS4-HMAC-SHA256 Credential=AKID/2013052/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + goodSig, ErrMalformedAuth},
		{"invalid date", "AWS4-HMAC-SHA256 Credential=AKID/20131324/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + goodSig, ErrMalformedAuth},
		{"empty key", "AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + goodSig, ErrMalformedAuth},
		{"newline in region", "AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1\n/s3/aws4_request, SignedHeaders=host, Signature=" + goodSig, ErrMalformedAuth},
		{"host not signed", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, Signature=" + goodSig, ErrMalformedAuth},
		{"unsorted headers", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date;host, Signature=" + goodSig, ErrMalformedAuth},
		{"duplicate headers", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;host, Signature=" + goodSig, ErrMalformedAuth},
		{"upper-case header", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=Host, Signature=" + goodSig, ErrMalformedAuth},
		{"empty header name", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, Signature=" + goodSig, ErrMalformedAuth},
		{"empty signed headers", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=, Signature=" + goodSig, ErrIncompleteSignature},
		{"short signature", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=abc", ErrMalformedAuth},
		{"non-hex signature", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=" + strings.Repeat("g", 64), ErrMalformedAuth},
		{"huge header", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host" + strings.Repeat(";x", 5000) + ", Signature=" + goodSig, ErrMalformedAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseAuthorization(tc.h)
			wantErr(t, err, tc.want)
			if err == nil && (a.AccessKeyID == "" || a.Signature == "" || len(a.SignedHeaders) == 0) {
				t.Fatalf("incomplete auth %+v", a)
			}
		})
	}
}

func TestParseRequest(t *testing.T) {
	hdr := "AWS4-HMAC-SHA256 Credential=AKID/20250102/eu-west-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + goodSig
	presign := "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20250102%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250102T030405Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=" + goodSig
	for _, tc := range []struct {
		name   string
		query  string
		header map[string]string
		want   error
		check  func(t *testing.T, a *Auth)
	}{
		{name: "anonymous", want: ErrNoAuth},
		{name: "anonymous with query", query: "list-type=2", want: ErrNoAuth},
		{name: "header", header: map[string]string{"Authorization": hdr, "X-Amz-Date": "20250102T030405Z", "X-Amz-Security-Token": "tok"},
			check: func(t *testing.T, a *Auth) {
				want := &Auth{AccessKeyID: "AKID", Date: "20250102", Region: "eu-west-1", Service: "ec2",
					SignedHeaders: []string{"host", "x-amz-date"}, Signature: goodSig,
					RequestTime: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), SecurityToken: "tok"}
				if !reflect.DeepEqual(a, want) {
					t.Fatalf("got %+v\nwant %+v", a, want)
				}
				if a.Scope() != "20250102/eu-west-1/ec2/aws4_request" {
					t.Fatal(a.Scope())
				}
			}},
		{name: "date header", header: map[string]string{"Authorization": hdr, "Date": "Thu, 02 Jan 2025 03:04:05 GMT"},
			check: func(t *testing.T, a *Auth) {
				if !a.RequestTime.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) {
					t.Fatal(a.RequestTime)
				}
			}},
		{name: "no date", header: map[string]string{"Authorization": hdr}, want: ErrIncompleteSignature},
		{name: "bad amz date", header: map[string]string{"Authorization": hdr, "X-Amz-Date": "2025-01-02T03:04:05Z"}, want: ErrMalformedAuth},
		{name: "scope day differs", header: map[string]string{"Authorization": hdr, "X-Amz-Date": "20250103T000000Z"}, want: ErrMalformedAuth},
		{name: "presigned", query: presign + "&X-Amz-Security-Token=a%2Bb",
			check: func(t *testing.T, a *Auth) {
				if !a.Presigned || a.Expires != time.Minute || a.Service != "s3" || a.SecurityToken != "a+b" {
					t.Fatalf("%+v", a)
				}
			}},
		{name: "both mechanisms", query: presign, header: map[string]string{"Authorization": hdr}, want: ErrMalformedAuth},
		{name: "presign missing signature", query: strings.Replace(presign, "&X-Amz-Signature=", "&X-Other=", 1), want: ErrIncompleteSignature},
		{name: "presign missing expires", query: strings.Replace(presign, "X-Amz-Expires=60&", "", 1), want: ErrIncompleteSignature},
		{name: "presign only signature", query: "X-Amz-Signature=" + goodSig, want: ErrIncompleteSignature},
		{name: "presign sigv4a", query: strings.Replace(presign, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1), want: ErrUnsupportedAlgorithm},
		{name: "presign zero expires", query: strings.Replace(presign, "X-Amz-Expires=60", "X-Amz-Expires=0", 1), want: ErrMalformedAuth},
		{name: "presign long expires", query: strings.Replace(presign, "X-Amz-Expires=60", "X-Amz-Expires=604801", 1), want: ErrMalformedAuth},
		{name: "presign text expires", query: strings.Replace(presign, "X-Amz-Expires=60", "X-Amz-Expires=1h", 1), want: ErrMalformedAuth},
		{name: "presign repeated", query: presign + "&X-Amz-Date=20250102T030405Z", want: ErrMalformedAuth},
		{name: "presign day differs", query: strings.Replace(presign, "20250102T030405Z", "20250101T030405Z", 1), want: ErrMalformedAuth},
		{name: "sigv2 query", query: "AWSAccessKeyId=AKID&Expires=1&Signature=abc", want: ErrSigV2},
		{name: "sigv2 header", header: map[string]string{"Authorization": "AWS AKID:abc"}, want: ErrSigV2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://example.com/b/k?"+tc.query, nil)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			a, err := Parse(r)
			wantErr(t, err, tc.want)
			if tc.check != nil {
				tc.check(t, a)
			}
		})
	}
	r := httptest.NewRequest("GET", "http://example.com/", nil)
	r.Header["Authorization"] = []string{hdr, hdr}
	r.Header.Set("X-Amz-Date", "20250102T030405Z")
	_, err := Parse(r)
	wantErr(t, err, ErrMalformedAuth)
}

func TestCanonicalPieces(t *testing.T) {
	var b strings.Builder
	awsEscape(&b, "a b/ü+%.txt~-_*!'()", true)
	if got, want := b.String(), "a%20b/%C3%BC%2B%25.txt~-_%2A%21%27%28%29"; got != want {
		t.Errorf("awsEscape = %q, want %q", got, want)
	}
	b.Reset()
	if err := writeCanonicalQuery(&b, "b=2&a=a%2Fb&a=a-b&c&d=&e=x+y&X-Amz-Signature=s", true); err != nil {
		t.Fatal(err)
	}
	// Sorted after encoding: "a%2Fb" < "a-b" because '%' < '-'.
	if got, want := b.String(), "a=a%2Fb&a=a-b&b=2&c=&d=&e=x%20y"; got != want {
		t.Errorf("query = %q, want %q", got, want)
	}
	b.Reset()
	if err := writeCanonicalQuery(&b, "a=%zz", false); err == nil {
		t.Error("bad escape accepted")
	}
	b.Reset()
	writeTrimmed(&b, "  a   b  c ")
	if b.String() != "a b c" {
		t.Errorf("trimmed = %q", b.String())
	}
	r := httptest.NewRequest("PUT", "http://h/x", strings.NewReader("abc"))
	r.Header.Del("Content-Length")
	b.Reset()
	writeHeaderValue(&b, r, "content-length")
	if b.String() != "3" {
		t.Errorf("content-length from ContentLength = %q", b.String())
	}
	if got := withoutAWSChunked([]string{"gzip, aws-chunked", "br"}); got != "gzip,br" {
		t.Errorf("withoutAWSChunked = %q", got)
	}
	_ = http.NoBody
}
