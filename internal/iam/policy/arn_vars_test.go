package policy

import "testing"

// Variables whose names hold a colon may stand in any ARN component.
func TestVariablesInARNComponents(t *testing.T) {
	doc, err := Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser",
		"Resource":"arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}"}]}`, Identity)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	set := PolicySet{Identity: []*Named{{ID: "p", Doc: doc}}}
	req := func(resource string) Request {
		return Request{Principal: Principal{ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"},
			Action: "iam:GetUser", Resource: resource,
			Context: map[string][]string{"aws:principalaccount": {"111122223333"}, "aws:username": {"alice"}}}
	}
	if d := Evaluate(set, req("arn:aws:iam::111122223333:user/alice")); !d.Allowed {
		t.Fatalf("own user: %+v", d)
	}
	for _, r := range []string{"arn:aws:iam::444455556666:user/alice", "arn:aws:iam::111122223333:user/bob"} {
		if d := Evaluate(set, req(r)); d.Allowed {
			t.Fatalf("%s allowed", r)
		}
	}
	if _, err := Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"*",
		"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:${aws:PrincipalAccount}:*"}}}]}`, Identity); err != nil {
		t.Fatalf("ArnLike with a variable in the account: %v", err)
	}
}
