package sigv4

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func stsPost() signSpec {
	return signSpec{
		method: "POST", url: "https://sts.us-east-1.amazonaws.com/",
		body:    []byte("Action=GetCallerIdentity&Version=2011-06-15"),
		header:  http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}},
		service: "sts",
	}
}

func sdkCases() map[string]signSpec {
	return map[string]signSpec{
		"sts post form": stsPost(),
		"sts session token": func() signSpec {
			s := stsPost()
			s.token = "FQoGZXIvYXdzEJr//////////wEaDEXAMPLETOKEN+/="
			return s
		}(),
		"ec2 query get": {
			method: "GET", service: "ec2", region: "eu-west-3",
			url: "https://ec2.eu-west-3.amazonaws.com/?Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=a%20b%2Bc&Filter.1.Value.2=%C3%BC~",
		},
		"repeated keys and empty values": {
			method: "GET", service: "ec2",
			url: "https://ec2.amazonaws.com/?b=2&a=z&a=y&a=&empty=&flag&c=a%2Fb&c=a-b&sp=x+y",
		},
		"lambda path double encoded": {
			method: "POST", service: "lambda",
			url:  "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/invocations",
			body: []byte(`{"k":"v"}`),
		},
		"spaces and repeated header values": {
			method: "POST", service: "sts", url: "https://sts.amazonaws.com/",
			body: []byte("Action=GetCallerIdentity&Version=2011-06-15"),
			header: http.Header{
				"X-Amz-Meta-Odd": {"  a   b  c  ", "second  value"},
				"X-Custom":       {"x,y"},
			},
		},
	}
}

// TestVerifyBytesRefusesUnsignedPayload: an RPC body is the whole request,
// so a signature that does not cover it must not be accepted.
func TestVerifyBytesRefusesUnsignedPayload(t *testing.T) {
	s := signSpec{
		method: "POST", service: "sts", url: "https://sts.amazonaws.com/",
		body:        []byte("Action=GetCallerIdentity&Version=2011-06-15"),
		header:      http.Header{"X-Amz-Content-Sha256": {UnsignedPayload}},
		payloadHash: UnsignedPayload,
	}
	r := sdkSign(t, s)
	a, err := Parse(r)
	wantErr(t, err, nil)
	body, _ := io.ReadAll(r.Body)
	wantErr(t, verifierAt(signTime()).VerifyBytes(r, a, testSecret, body), ErrInvalidContentSHA256)
}

func TestVerifyBytesSDKSigned(t *testing.T) {
	for name, s := range sdkCases() {
		t.Run(name, func(t *testing.T) {
			r := sdkSign(t, s)
			a, err := Parse(r)
			wantErr(t, err, nil)
			if a.Service != s.service || a.AccessKeyID != testAKID || a.Presigned || a.SecurityToken != s.token {
				t.Fatalf("auth = %+v", a)
			}
			body, _ := io.ReadAll(r.Body)
			wantErr(t, verifierAt(signTime()).VerifyBytes(r, a, testSecret, body), nil)
		})
	}
}

func s3Cases() map[string]signSpec {
	body := []byte("hello, object")
	return map[string]signSpec{
		"get odd key": {
			method: "GET", service: "s3",
			url:         "https://s3.amazonaws.com/bucket/a%20b/%C3%BC%2B%25.txt",
			header:      http.Header{"X-Amz-Content-Sha256": {UnsignedPayload}},
			payloadHash: UnsignedPayload,
		},
		"list with odd query": {
			method: "GET", service: "s3",
			url:         "https://bucket.s3.amazonaws.com/?list-type=2&prefix=&delimiter=%2F&start-after=a%20b%2Bc&x=2&x=1",
			header:      http.Header{"X-Amz-Content-Sha256": {emptySHA256}},
			payloadHash: emptySHA256,
		},
		"put hex payload": {
			method: "PUT", service: "s3", body: body,
			url: "http://localhost:9000/bucket/dir/key~%281%29%21%3D.txt", // escaped as the S3 client escapes keys
			header: http.Header{
				"X-Amz-Content-Sha256": {sha256Hex(body)},
				"Content-Type":         {"text/plain"},
				"X-Amz-Meta-Color":     {"blue"},
			},
		},
	}
}

func TestVerifyStreamSDKSigned(t *testing.T) {
	for name, s := range s3Cases() {
		t.Run(name, func(t *testing.T) {
			r := sdkSign(t, s)
			a, err := Parse(r)
			wantErr(t, err, nil)
			p, err := verifierAt(signTime()).VerifyStream(r, a, testSecret)
			wantErr(t, err, nil)
			got, err := io.ReadAll(p)
			wantErr(t, err, nil)
			if string(got) != string(s.body) {
				t.Fatalf("body = %q, want %q", got, s.body)
			}
		})
	}
}

func TestPresignedSDK(t *testing.T) {
	s3get := signSpec{method: "GET", service: "s3", url: "https://s3.amazonaws.com/bucket/a%20b/%C3%BC%2B%25.txt?versionId=3&response-content-type=text%2Fplain", payloadHash: UnsignedPayload}
	stsGet := signSpec{method: "GET", service: "sts", url: "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", token: "tok/en+="}
	for _, tc := range []struct {
		name    string
		spec    signSpec
		expires time.Duration
		now     time.Time
		want    error
	}{
		{"s3 valid", s3get, time.Hour, signTime().Add(59 * time.Minute), nil},
		{"s3 expired", s3get, time.Hour, signTime().Add(61 * time.Minute), ErrRequestExpired},
		{"s3 future", s3get, time.Hour, signTime().Add(-16 * time.Minute), ErrRequestNotYetValid},
		{"s3 slightly early", s3get, time.Hour, signTime().Add(-14 * time.Minute), nil},
		{"sts valid", stsGet, 15 * time.Minute, signTime(), nil},
		{"max expiry", s3get, 7 * 24 * time.Hour, signTime().Add(6 * 24 * time.Hour), nil},
		{"over max expiry", s3get, 7*24*time.Hour + time.Second, signTime(), ErrMalformedAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sdkPresign(t, tc.spec, tc.expires)
			a, err := Parse(r)
			if err != nil {
				wantErr(t, err, tc.want)
				return
			}
			if !a.Presigned || a.Expires != tc.expires || a.SecurityToken != tc.spec.token {
				t.Fatalf("auth = %+v", a)
			}
			v := verifierAt(tc.now)
			if tc.spec.service == "s3" {
				_, err = v.VerifyStream(r, a, testSecret)
			} else {
				err = v.VerifyBytes(r, a, testSecret, nil)
			}
			wantErr(t, err, tc.want)
		})
	}
}

func TestPresignedTampered(t *testing.T) {
	s := signSpec{method: "GET", service: "s3", url: "https://s3.amazonaws.com/bucket/key", payloadHash: UnsignedPayload}
	for name, mut := range map[string]func(r *http.Request){
		"query added": func(r *http.Request) { r.URL.RawQuery += "&x-id=GetObject" },
		"expires changed": func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=3600", "X-Amz-Expires=3601", 1)
		},
		"key changed":    func(r *http.Request) { r.URL.Path = "/bucket/key2" },
		"method changed": func(r *http.Request) { r.Method = "DELETE" },
	} {
		t.Run(name, func(t *testing.T) {
			r := sdkPresign(t, s, time.Hour)
			mut(r)
			a, err := Parse(r)
			wantErr(t, err, nil)
			_, err = verifierAt(signTime()).VerifyStream(r, a, testSecret)
			wantErr(t, err, ErrSignatureMismatch)
		})
	}
}

func TestTamperedRequests(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spec   signSpec
		mutate func(r *http.Request) []byte // returns the body to verify
		secret string
		now    time.Time
		want   error
	}{
		{name: "body changed", spec: stsPost(), want: ErrSignatureMismatch,
			mutate: func(r *http.Request) []byte { return []byte("Action=GetCallerIdentity&Version=2011-06-16") }},
		{name: "signed header changed", spec: stsPost(), want: ErrSignatureMismatch,
			mutate: func(r *http.Request) []byte { r.Header.Set("Content-Type", "text/plain"); return nil }},
		{name: "host changed", spec: stsPost(), want: ErrSignatureMismatch,
			mutate: func(r *http.Request) []byte { r.Host = "evil.example"; return nil }},
		{name: "unsigned amz header added", spec: stsPost(), want: ErrUnsignedHeader,
			mutate: func(r *http.Request) []byte { r.Header.Set("X-Amz-Acl", "public-read"); return nil }},
		{name: "query param added", spec: sdkCases()["ec2 query get"], want: ErrSignatureMismatch,
			mutate: func(r *http.Request) []byte { r.URL.RawQuery += "&DryRun=true"; return nil }},
		{name: "query value changed", spec: sdkCases()["repeated keys and empty values"], want: ErrSignatureMismatch,
			mutate: func(r *http.Request) []byte {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "a=z", "a=x", 1)
				return nil
			}},
		{name: "path changed", spec: sdkCases()["lambda path double encoded"], want: ErrSignatureMismatch,
			mutate: func(r *http.Request) []byte { r.URL.Path += "x"; r.URL.RawPath = ""; return nil }},
		{name: "wrong secret", spec: stsPost(), secret: "other", want: ErrSignatureMismatch},
		{name: "token changed", spec: sdkCases()["sts session token"], want: ErrSignatureMismatch,
			mutate: func(r *http.Request) []byte { r.Header.Set("X-Amz-Security-Token", "other"); return nil }},
		{name: "date changed", spec: stsPost(), want: ErrSignatureMismatch,
			mutate: func(r *http.Request) []byte { r.Header.Set("X-Amz-Date", "20250102T030406Z"); return nil }},
		{name: "date other day", spec: stsPost(), want: ErrMalformedAuth,
			mutate: func(r *http.Request) []byte { r.Header.Set("X-Amz-Date", "20250103T030405Z"); return nil }},
		{name: "clock ahead", spec: stsPost(), now: signTime().Add(15*time.Minute + time.Second), want: ErrRequestTimeTooSkewed},
		{name: "clock behind", spec: stsPost(), now: signTime().Add(-15*time.Minute - time.Second), want: ErrRequestTimeTooSkewed},
		{name: "clock at edge", spec: stsPost(), now: signTime().Add(15 * time.Minute)},
		{name: "content sha mismatch", want: ErrContentSHA256Mismatch,
			spec: func() signSpec {
				s := stsPost()
				s.payloadHash = sha256Hex([]byte("other"))
				s.header = http.Header{"X-Amz-Content-Sha256": {s.payloadHash}}
				return s
			}()},
		{name: "streaming rejected for rpc", want: ErrInvalidContentSHA256,
			spec: func() signSpec {
				s := stsPost()
				s.payloadHash = StreamingPayload
				s.header = http.Header{"X-Amz-Content-Sha256": {StreamingPayload}}
				return s
			}()},
		{name: "garbage content sha", want: ErrInvalidContentSHA256,
			spec: func() signSpec {
				s := stsPost()
				s.payloadHash = "abc"
				s.header = http.Header{"X-Amz-Content-Sha256": {"abc"}}
				return s
			}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sdkSign(t, tc.spec)
			body, _ := io.ReadAll(r.Body)
			if tc.mutate != nil {
				if b := tc.mutate(r); b != nil {
					body = b
				}
			}
			a, err := Parse(r)
			if err != nil {
				wantErr(t, err, tc.want)
				return
			}
			now, secret := tc.now, tc.secret
			if now.IsZero() {
				now = signTime()
			}
			if secret == "" {
				secret = testSecret
			}
			err = verifierAt(now).VerifyBytes(r, a, secret, body)
			wantErr(t, err, tc.want)
			var sm *SignatureMismatchError
			if errors.As(err, &sm) && !strings.HasPrefix(sm.StringToSign, "AWS4-HMAC-SHA256\n2025010") {
				t.Errorf("StringToSign = %q", sm.StringToSign)
			}
		})
	}
}

func TestStreamHexMismatch(t *testing.T) {
	s := s3Cases()["put hex payload"]
	r := sdkSign(t, s)
	r.Body = io.NopCloser(strings.NewReader("hello, objecT"))
	a, err := Parse(r)
	wantErr(t, err, nil)
	p, err := verifierAt(signTime()).VerifyStream(r, a, testSecret)
	wantErr(t, err, nil)
	got, err := io.ReadAll(p)
	wantErr(t, err, ErrContentSHA256Mismatch)
	if len(got) != len(s.body) {
		t.Errorf("read %d bytes", len(got))
	}
	if _, err := p.Read(make([]byte, 1)); !errors.Is(err, ErrContentSHA256Mismatch) {
		t.Errorf("second read after failure = %v", err)
	}
}

func TestStreamMissingContentSHA(t *testing.T) {
	s := signSpec{method: "GET", service: "s3", url: "https://s3.amazonaws.com/b/k"}
	r := sdkSign(t, s)
	a, err := Parse(r)
	wantErr(t, err, nil)
	_, err = verifierAt(signTime()).VerifyStream(r, a, testSecret)
	wantErr(t, err, ErrMissingContentSHA256)
}

func TestKeyCacheBounded(t *testing.T) {
	v := NewVerifier(Config{Now: signTime, KeyCacheSize: 3})
	for i := range 10 {
		s := stsPost()
		s.region = "region-" + string(rune('a'+i))
		r := sdkSign(t, s)
		a, err := Parse(r)
		wantErr(t, err, nil)
		wantErr(t, v.VerifyBytes(r, a, testSecret, s.body), nil)
		// A cached key must not let another secret through.
		wantErr(t, v.VerifyBytes(r, a, testSecret+"x", s.body), ErrSignatureMismatch)
	}
	if n := v.keys.len(); n > 3 {
		t.Fatalf("cache holds %d keys, max 3", n)
	}
}
