package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

// TestIAMWithTheCLI drives IAM and STS with the aws CLI (botocore), whose
// serializers and policy-document decoding differ from the Go SDK's.
func TestIAMWithTheCLI(t *testing.T) {
	r := harness.Start(t)
	run := func(args ...string) string {
		t.Helper()
		out, stderr, code := r.CLI(t, append(args, "--output", "json")...)
		if code != 0 {
			t.Fatalf("aws %s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
		return out
	}
	run("iam", "create-user", "--user-name", "dora", "--path", "/team/", "--tags", "Key=team,Value=blue")
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}]}`
	run("iam", "put-user-policy", "--user-name", "dora", "--policy-name", "read", "--policy-document", policy)
	var got struct {
		PolicyDocument struct {
			Statement []struct {
				Sid string
			}
		}
	}
	if err := json.Unmarshal([]byte(run("iam", "get-user-policy", "--user-name", "dora", "--policy-name", "read")), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.PolicyDocument.Statement) != 1 || got.PolicyDocument.Statement[0].Sid != "Read" {
		t.Fatalf("policy document did not round-trip through botocore: %+v", got)
	}
	var users struct {
		Users []struct{ UserName, Path, Arn string }
	}
	json.Unmarshal([]byte(run("iam", "list-users", "--path-prefix", "/team/")), &users)
	if len(users.Users) != 1 || users.Users[0].Arn != "arn:aws:iam::"+r.AccountID+":user/team/dora" {
		t.Fatalf("list-users: %+v", users)
	}
	run("iam", "create-role", "--role-name", "svc", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+r.AccountID+`:root"},"Action":"sts:AssumeRole"}]}`)
	run("iam", "attach-role-policy", "--role-name", "svc", "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	var attached struct{ AttachedPolicies []struct{ PolicyName string } }
	json.Unmarshal([]byte(run("iam", "list-attached-role-policies", "--role-name", "svc")), &attached)
	if len(attached.AttachedPolicies) != 1 || attached.AttachedPolicies[0].PolicyName != "ReadOnlyAccess" {
		t.Fatalf("attached: %+v", attached)
	}
	// Root may not assume roles (as on AWS); an error, not a crash.
	_, stderr, code := r.CLI(t, "sts", "assume-role", "--role-arn", "arn:aws:iam::"+r.AccountID+":role/svc", "--role-session-name", "s1")
	if code == 0 || !strings.Contains(stderr, "AccessDenied") {
		t.Fatalf("root assume-role: %d %s", code, stderr)
	}
	_, stderr, code = r.CLI(t, "iam", "put-user-policy", "--user-name", "dora", "--policy-name", "bad", "--policy-document", `{"Statement":[{"Effect":"Allow"}]}`)
	if code == 0 || !strings.Contains(stderr, "MalformedPolicyDocument") {
		t.Fatalf("malformed policy via CLI: %d %s", code, stderr)
	}
}
