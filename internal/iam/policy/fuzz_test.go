package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics, errors are *Error, and a document that
// parses evaluates without panicking against a few requests.
func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username, 'x'}/*"}}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny","NotAction":["iam:*"],"NotResource":"*","Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["a*","${*}"]},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"NumericGreaterThan":{"n":1.5},"Null":{"k":true},"BinaryEquals":{"b":"AAEC"},"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:t"}}}]}`,
		`{"Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/u"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotPrincipal":"*","Action":"*","Resource":"*"}}`,
	}
	// Every policy in the datadriven files is a seed too.
	files, _ := filepath.Glob("testdata/*.txt")
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			f.Fatal(err)
		}
		for _, block := range strings.Split(string(b), "\npolicy ") {
			if i := strings.Index(block, "\n"); i >= 0 {
				if j := strings.Index(block[i:], "\n----\n"); j >= 0 {
					seeds = append(seeds, block[i+1:i+j])
				}
			}
		}
	}
	for _, s := range seeds {
		for k := Identity; k <= Session; k++ {
			f.Add(s, uint8(k))
		}
	}
	reqs := []Request{
		{Principal: Principal{ARN: "arn:aws:iam::111122223333:user/u", Account: "111122223333"}, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/u/k",
			Context: map[string][]string{"aws:username": {"u"}, "aws:SourceIp": {"10.1.1.1"}, "aws:TagKeys": {"a", "b"}, "aws:CurrentTime": {"2020-01-01T00:00:00Z"}, "n": {"2"}, "b": {"\x00\x01\x02"}}},
		{Principal: Principal{ARN: "arn:aws:sts::111122223333:assumed-role/R/s", Account: "111122223333", RoleARN: "arn:aws:iam::111122223333:role/R"}, Action: "sts:AssumeRole", Resource: "*", ResourceAccount: "444455556666"},
		{Action: "x", Resource: "arn:"},
		{Principal: Principal{Service: "ec2.amazonaws.com"}, Action: "sts:AssumeRole", Resource: "arn:aws:iam::1:role/R", Context: map[string][]string{"AWS:SourceIP": {"::1", "bad"}}},
	}
	f.Fuzz(func(t *testing.T, doc string, kind uint8) {
		k := Kind(kind%6 + 1)
		d, err := Parse(doc, k)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			return
		}
		n := &Named{ID: "p", Doc: d}
		for _, req := range reqs {
			Evaluate(PolicySet{Identity: []*Named{n}}, req)
			Evaluate(PolicySet{Resource: []*Named{n}, Boundary: n, Session: []*Named{n}}, req)
			for i := 0; i < d.Statements(); i++ {
				d.MatchesPrincipal(i, req.Principal)
			}
		}
	})
}
