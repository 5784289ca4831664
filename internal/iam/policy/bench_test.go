package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// bench10x10 builds a principal with 10 attached policies of 10 statements
// each, mixing services, wildcards, variables and conditions; the request is
// allowed by one statement near the end and checked against every Deny.
func bench10x10(b *testing.B) (PolicySet, Request) {
	services := []string{"ec2", "iam", "sqs", "sns", "dynamodb", "cloudwatch", "kms", "lambda", "sts", "s3"}
	var set PolicySet
	for p := 0; p < 10; p++ {
		var stmts []string
		for s := 0; s < 10; s++ {
			svc := services[(p+s)%len(services)]
			var st string
			switch s % 5 {
			case 0:
				st = fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":["%s:Get*","%s:List*","%s:Describe*"],"Resource":"arn:aws:%s:*:111122223333:*","Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}`, s, svc, svc, svc, svc)
			case 1:
				st = fmt.Sprintf(`{"Sid":"S%d","Effect":"Deny","Action":"%s:Delete*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}`, s, svc)
			case 2:
				st = fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":"%s:Put*","Resource":"arn:aws:%s:::home/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}}`, s, svc, svc)
			case 3:
				st = fmt.Sprintf(`{"Sid":"S%d","Effect":"Deny","NotAction":["%s:*","iam:Get*"],"Resource":"arn:aws:%s:::secret/*","Condition":{"StringNotLike":{"aws:PrincipalTag/team":"sec-*"}}}`, s, svc, svc)
			case 4:
				st = fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":"%s:*Object*","Resource":["arn:aws:%s:::bucket-%d/*","arn:aws:%s:::shared/${aws:PrincipalTag/team}/*"],"Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"ForAnyValue:StringLike":{"aws:TagKeys":["env","team*"]}}}`, s, svc, svc, p, svc)
			}
			stmts = append(stmts, st)
		}
		doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
		d, err := Parse(doc, Identity)
		if err != nil {
			b.Fatal(err)
		}
		set.Identity = append(set.Identity, &Named{ID: fmt.Sprintf("arn:aws:iam::111122223333:policy/p%d", p), Doc: d})
	}
	req := Request{
		Principal: Principal{ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"},
		Action:    "s3:GetObject",
		Resource:  "arn:aws:s3:::shared/blue/report.csv",
		Context: map[string][]string{
			"aws:username":               {"alice"},
			"aws:principaltag/team":      {"blue"},
			"aws:sourceip":               {"10.1.2.3"},
			"aws:currenttime":            {"2026-11-26T12:00:00Z"},
			"aws:securetransport":        {"true"},
			"aws:requestedregion":        {"us-east-1"},
			"aws:tagkeys":                {"team", "cost"},
			"aws:multifactorauthpresent": {"true"},
		},
	}
	return set, req
}

func BenchmarkEvaluate10x10(b *testing.B) {
	set, req := bench10x10(b)
	if d := Evaluate(set, req); !d.Allowed {
		b.Fatalf("benchmark request should be allowed: %v", d.Reason)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Evaluate(set, req)
	}
}

func BenchmarkEvaluate10x10Denied(b *testing.B) {
	set, req := bench10x10(b)
	req.Action = "iam:CreateUser"
	req.Resource = "arn:aws:iam::111122223333:user/bob"
	if d := Evaluate(set, req); d.Allowed {
		b.Fatal("benchmark request should be denied")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Evaluate(set, req)
	}
}

func BenchmarkEvaluate10x10Parallel(b *testing.B) {
	set, req := bench10x10(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			Evaluate(set, req)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":["arn:aws:s3:::b/${aws:username}/*"],"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringEquals":{"aws:RequestedRegion":"us-east-1"}}},{"Sid":"B","Effect":"Deny","NotAction":"s3:*","Resource":"*"}]}`
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(doc, Identity); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate10x10Latency reports the p50/p99 of single decisions
// (each timed individually, so it includes ~30ns of clock overhead).
func BenchmarkEvaluate10x10Latency(b *testing.B) {
	set, req := bench10x10(b)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		Evaluate(set, req)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}
