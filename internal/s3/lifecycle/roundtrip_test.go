package lifecycle

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// checkRoundTrip: Marshal of a parsed configuration parses back (needing no
// new IDs) to an equal configuration.
func checkRoundTrip(t testing.TB, c *Configuration) {
	t.Helper()
	b, err := c.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	c2, err := ParseWithIDs(b, func() string {
		t.Fatalf("re-Parse of %s made an ID", b)
		return ""
	})
	if err != nil {
		t.Fatalf("re-Parse of %s: %v", b, err)
	}
	if !reflect.DeepEqual(c, c2) {
		t.Fatalf("round trip changed the configuration:\n%#v\n%#v\nvia %s", c, c2, b)
	}
}

const (
	xmlHead = `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`
	xmlTail = `</LifecycleConfiguration>`
)

// TestMarshal: what GetBucketLifecycleConfiguration returns for a
// configuration put in the shapes clients send (aws-sdk-go-v2, which
// Terraform uses, writes elements in alphabetical order).
func TestMarshal(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{{
		name: "terraform filter and",
		in: `<Rule><Expiration><Days>90</Days></Expiration><Filter><And><ObjectSizeGreaterThan>500</ObjectSizeGreaterThan>` +
			`<Prefix>logs/</Prefix><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag></And></Filter>` +
			`<ID>r1</ID><Status>Enabled</Status></Rule>`,
		want: `<Rule><ID>r1</ID><Filter><And><Prefix>logs/</Prefix><Tag><Key>a</Key><Value>1</Value></Tag>` +
			`<Tag><Key>b</Key><Value>2</Value></Tag><ObjectSizeGreaterThan>500</ObjectSizeGreaterThan></And></Filter>` +
			`<Status>Enabled</Status><Expiration><Days>90</Days></Expiration></Rule>`,
	}, {
		name: "terraform empty filter",
		in:   `<Rule><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload><Filter></Filter><ID>r1</ID><Status>Enabled</Status></Rule>`,
		want: `<Rule><ID>r1</ID><Filter></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`,
	}, {
		name: "self-closing empty filter",
		in:   `<Rule><ID>r1</ID><Filter/><Status>Disabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>`,
		want: `<Rule><ID>r1</ID><Filter></Filter><Status>Disabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>`,
	}, {
		name: "terraform filter with empty prefix",
		in:   `<Rule><Filter><Prefix></Prefix></Filter><ID>r1</ID><NoncurrentVersionExpiration><NewerNoncurrentVersions>3</NewerNoncurrentVersions><NoncurrentDays>30</NoncurrentDays></NoncurrentVersionExpiration><Status>Enabled</Status></Rule>`,
		want: `<Rule><ID>r1</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>`,
	}, {
		name: "legacy prefix",
		in:   `<Rule><ID>old</ID><Prefix>tmp/</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`,
		want: `<Rule><ID>old</ID><Prefix>tmp/</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`,
	}, {
		name: "legacy empty prefix",
		in:   `<Rule><ID>old</ID><Prefix/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`,
		want: `<Rule><ID>old</ID><Prefix></Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`,
	}, {
		name: "dates and transitions",
		in: `<Rule><ID>d</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status>` +
			`<Transition><Date>2030-01-01T00:00:00Z</Date><StorageClass>STANDARD_IA</StorageClass></Transition>` +
			`<Transition><Date>2030-03-01</Date><StorageClass>GLACIER_IR</StorageClass></Transition>` +
			`<Expiration><Date>2031-01-01T00:00:00.000+00:00</Date></Expiration></Rule>`,
		want: `<Rule><ID>d</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status>` +
			`<Expiration><Date>2031-01-01T00:00:00.000Z</Date></Expiration>` +
			`<Transition><Date>2030-01-01T00:00:00.000Z</Date><StorageClass>STANDARD_IA</StorageClass></Transition>` +
			`<Transition><Date>2030-03-01T00:00:00.000Z</Date><StorageClass>GLACIER_IR</StorageClass></Transition></Rule>`,
	}, {
		name: "noncurrent transitions, sizes, no namespace, escapes",
		in: `<Rule><ID>a&amp;b&#xD;</ID><Filter><ObjectSizeLessThan>1024</ObjectSizeLessThan></Filter><Status>Enabled</Status>` +
			`<NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays><StorageClass>STANDARD_IA</StorageClass></NoncurrentVersionTransition>` +
			`<NoncurrentVersionTransition><StorageClass>GLACIER_IR</StorageClass><NewerNoncurrentVersions>1</NewerNoncurrentVersions><NoncurrentDays>60</NoncurrentDays></NoncurrentVersionTransition></Rule>`,
		want: `<Rule><ID>a&amp;b&#xD;</ID><Filter><ObjectSizeLessThan>1024</ObjectSizeLessThan></Filter><Status>Enabled</Status>` +
			`<NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays><StorageClass>STANDARD_IA</StorageClass></NoncurrentVersionTransition>` +
			`<NoncurrentVersionTransition><NoncurrentDays>60</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions><StorageClass>GLACIER_IR</StorageClass></NoncurrentVersionTransition></Rule>`,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := xmlHead + tc.in + xmlTail
			if strings.Contains(tc.name, "no namespace") {
				in = `<?xml version="1.0" encoding="UTF-8"?>` + "\n<LifecycleConfiguration>" + tc.in + xmlTail
			}
			c, err := Parse([]byte(in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := c.Marshal()
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if want := xmlHead + tc.want + xmlTail; string(got) != want {
				t.Fatalf("Marshal:\n got %s\nwant %s", got, want)
			}
			checkRoundTrip(t, c)
		})
	}
}

// TestParseAssignsIDs: a rule without an ID, or with an empty one, gets a
// random one as S3 gives it (the base64 of a UUID), unlike any other.
func TestParseAssignsIDs(t *testing.T) {
	in := xmlHead + `<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>` +
		`<Rule><ID></ID><Filter><Prefix>a</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>` + xmlTail
	c, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.Rules[0].ID, c.Rules[1].ID
	if len(a) != 48 || len(b) != 48 || a == b {
		t.Fatalf("IDs %q %q: want two distinct 48-character IDs", a, b)
	}
	// A generator that repeats an ID in use is asked again.
	ids := []string{"x", "x", "", "y"}
	in = xmlHead + `<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>` +
		`<Rule><ID>x</ID><Filter><Prefix>a</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>` + xmlTail
	c, err = ParseWithIDs([]byte(in), func() string { id := ids[0]; ids = ids[1:]; return id })
	if err != nil {
		t.Fatal(err)
	}
	if c.Rules[0].ID != "y" {
		t.Fatalf("ID %q, want y", c.Rules[0].ID)
	}
	// One that never returns a fresh ID fails rather than loops.
	_, err = ParseWithIDs([]byte(in), func() string { return "x" })
	if e, ok := err.(*Error); !ok || e.Status != http.StatusInternalServerError {
		t.Fatalf("err %v, want an InternalError", err)
	}
}

// TestSDKRoundTrip puts configurations with aws-sdk-go-v2 (what Terraform
// and most clients use) to a server that Parses the body, reads them back
// through the SDK from Marshal's output, and wants exactly what was put,
// with IDs filled in.
func TestSDKRoundTrip(t *testing.T) {
	var mu sync.Mutex
	var stored *Configuration
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.Method {
		case http.MethodPut:
			body, _ := io.ReadAll(io.LimitReader(r.Body, MaxBodySize+1))
			c, err := ParseWithIDs(body, seqIDs())
			if err != nil {
				t.Errorf("Parse of %s: %v", body, err)
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			stored = c
		case http.MethodGet:
			b, err := stored.Marshal()
			if err != nil {
				t.Errorf("Marshal: %v", err)
			}
			_, _ = w.Write(append([]byte(xml.Header), b...))
		}
	}))
	defer srv.Close()
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
	date := func(y int, m time.Month, d int) *time.Time { t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); return &t }
	v2 := []types.LifecycleRule{{
		ID:     aws.String("and"),
		Status: types.ExpirationStatusEnabled,
		Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{
			Prefix:                aws.String("logs/"),
			Tags:                  []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("")}},
			ObjectSizeGreaterThan: aws.Int64(0),
			ObjectSizeLessThan:    aws.Int64(1 << 40),
		}},
		Expiration: &types.LifecycleExpiration{Days: aws.Int32(365)},
		Transitions: []types.Transition{
			{Days: aws.Int32(30), StorageClass: types.TransitionStorageClassStandardIa},
			{Days: aws.Int32(90), StorageClass: types.TransitionStorageClassGlacierIr},
		},
	}, {
		ID:                             aws.String("empty-filter"),
		Status:                         types.ExpirationStatusEnabled,
		Filter:                         &types.LifecycleRuleFilter{},
		Expiration:                     &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)},
		NoncurrentVersionExpiration:    &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(30), NewerNoncurrentVersions: aws.Int32(3)},
		AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(7)},
	}, {
		ID:     aws.String("empty-prefix"),
		Status: types.ExpirationStatusDisabled,
		Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
		NoncurrentVersionTransitions: []types.NoncurrentVersionTransition{
			{NoncurrentDays: aws.Int32(30), StorageClass: types.TransitionStorageClassStandardIa, NewerNoncurrentVersions: aws.Int32(2)},
			{NoncurrentDays: aws.Int32(60), StorageClass: types.TransitionStorageClassGlacierIr},
		},
	}, {
		Status:      types.ExpirationStatusEnabled,
		Filter:      &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("k"), Value: aws.String("v <&> \"'")}},
		Expiration:  &types.LifecycleExpiration{Date: date(2031, 1, 1)},
		Transitions: []types.Transition{{Date: date(2030, 6, 1), StorageClass: types.TransitionStorageClassGlacierIr}},
	}, {
		ID:          aws.String("small"),
		Status:      types.ExpirationStatusEnabled,
		Filter:      &types.LifecycleRuleFilter{ObjectSizeLessThan: aws.Int64(1024)},
		Transitions: []types.Transition{{Days: aws.Int32(0), StorageClass: types.TransitionStorageClassGlacierIr}},
	}}
	v1 := []types.LifecycleRule{{
		ID:         aws.String("legacy"),
		Status:     types.ExpirationStatusEnabled,
		Prefix:     aws.String("tmp/"),
		Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)},
	}, {
		Status:                         types.ExpirationStatusEnabled,
		Prefix:                         aws.String(""),
		AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(2)},
	}}
	for name, rules := range map[string][]types.LifecycleRule{"v2": v2, "v1": v1} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			_, err := client.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
				Bucket:                 aws.String("b"),
				LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules},
			})
			if err != nil {
				t.Fatal(err)
			}
			out, err := client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("b")})
			if err != nil {
				t.Fatal(err)
			}
			want := append([]types.LifecycleRule(nil), rules...)
			gen := seqIDs()
			for i := range want {
				if want[i].ID == nil {
					want[i].ID = aws.String(gen())
				}
			}
			w, _ := json.Marshal(want)
			g, _ := json.Marshal(out.Rules)
			if string(w) != string(g) {
				t.Fatalf("read back\n%s\nwant\n%s", g, w)
			}
		})
	}
}
