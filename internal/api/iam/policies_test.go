package iam_test

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/nimbuscloud/nimbus/internal/iam/awsmanaged"
)

// polDecode URL-decodes a policy document as the SDKs' users do and
// parses its JSON.
func polDecode(t *testing.T, s *string) any {
	t.Helper()
	raw, err := url.QueryUnescape(aws.ToString(s))
	if err != nil {
		t.Fatalf("unescape %q: %v", aws.ToString(s), err)
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("document %q: %v", raw, err)
	}
	return v
}

func polJSON(t *testing.T, doc string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSDKManagedPolicies(t *testing.T) {
	c, acct := newEntClient(t)
	ctx := context.Background()
	// Spaces, '+', '&', '%' and a Latin-1 letter must survive the trip.
	doc := `{"Version": "2012-10-17", "Statement": [{"Sid": "A1", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b+c/a&b %20 é/*"}]}`
	out, err := c.CreatePolicy(ctx, &sdkiam.CreatePolicyInput{PolicyName: aws.String("Ops"), Path: aws.String("/team/"), PolicyDocument: aws.String(doc),
		Description: aws.String("for ops"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	p := out.Policy
	if aws.ToString(p.Arn) != "arn:aws:iam::"+acct+":policy/team/Ops" || aws.ToString(p.DefaultVersionId) != "v1" || !p.IsAttachable ||
		p.CreateDate == nil || len(p.Tags) != 1 || aws.ToString(p.Description) != "for ops" {
		t.Fatalf("policy = %+v", p)
	}
	v, err := c.GetPolicyVersion(ctx, &sdkiam.GetPolicyVersionInput{PolicyArn: p.Arn, VersionId: aws.String("v1")})
	if err != nil {
		t.Fatalf("GetPolicyVersion: %v", err)
	}
	if got := polDecode(t, v.PolicyVersion.Document); !reflect.DeepEqual(got, polJSON(t, doc)) || !v.PolicyVersion.IsDefaultVersion {
		t.Fatalf("document round trip: %v", got)
	}
	nv, err := c.CreatePolicyVersion(ctx, &sdkiam.CreatePolicyVersionInput{PolicyArn: p.Arn, SetAsDefault: true,
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})
	if err != nil || aws.ToString(nv.PolicyVersion.VersionId) != "v2" || !nv.PolicyVersion.IsDefaultVersion {
		t.Fatalf("CreatePolicyVersion: %v %+v", err, nv)
	}
	_, err = c.DeletePolicyVersion(ctx, &sdkiam.DeletePolicyVersionInput{PolicyArn: p.Arn, VersionId: aws.String("v2")})
	entAPIError(t, err, "DeleteConflict", "Cannot delete the default version of a policy.")
	_, err = c.CreatePolicy(ctx, &sdkiam.CreatePolicyInput{PolicyName: aws.String("Bad"), PolicyDocument: aws.String(`{"Version":"2012-10-17"}`)})
	entAPIError(t, err, "MalformedPolicyDocument", "")
	_, err = c.GetPolicy(ctx, &sdkiam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + acct + ":policy/Nope")})
	entAPIError(t, err, "NoSuchEntity", "Policy arn:aws:iam::"+acct+":policy/Nope was not found.")

	// Scope=AWS lists the shipped catalog, through the SDK paginator.
	var aws_ []types.Policy
	pager := sdkiam.NewListPoliciesPaginator(c, &sdkiam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, MaxItems: aws.Int32(7)})
	for pager.HasMorePages() {
		pg, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListPolicies: %v", err)
		}
		aws_ = append(aws_, pg.Policies...)
	}
	if len(aws_) != len(awsmanaged.All()) {
		t.Fatalf("Scope=AWS listed %d policies, catalog has %d", len(aws_), len(awsmanaged.All()))
	}
	for _, ap := range aws_ {
		if _, ok := awsmanaged.Lookup(aws.ToString(ap.Arn)); !ok || aws.ToString(ap.DefaultVersionId) != "v1" {
			t.Fatalf("listed %+v", ap)
		}
	}
	local, err := c.ListPolicies(ctx, &sdkiam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal})
	if err != nil || len(local.Policies) != 1 || aws.ToString(local.Policies[0].PolicyName) != "Ops" {
		t.Fatalf("Scope=Local: %v %+v", err, local)
	}
	tags, err := c.ListPolicyTags(ctx, &sdkiam.ListPolicyTagsInput{PolicyArn: p.Arn})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Fatalf("ListPolicyTags: %v %+v", err, tags)
	}
}

func TestSDKAttachInlineAndDetails(t *testing.T) {
	c, acct := newEntClient(t)
	ctx := context.Background()
	if _, err := c.CreateUser(ctx, &sdkiam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	admin := aws.String("arn:aws:iam::aws:policy/AdministratorAccess")
	if _, err := c.AttachUserPolicy(ctx, &sdkiam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: admin}); err != nil {
		t.Fatalf("AttachUserPolicy: %v", err)
	}
	_, err := c.DetachUserPolicy(ctx, &sdkiam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	entAPIError(t, err, "NoSuchEntity", "Policy arn:aws:iam::aws:policy/ReadOnlyAccess was not found.")
	att, err := c.ListAttachedUserPolicies(ctx, &sdkiam.ListAttachedUserPoliciesInput{UserName: aws.String("alice")})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "AdministratorAccess" {
		t.Fatalf("ListAttachedUserPolicies: %v %+v", err, att)
	}
	inline := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}`
	if _, err := c.PutUserPolicy(ctx, &sdkiam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("nodelete"), PolicyDocument: aws.String(inline)}); err != nil {
		t.Fatalf("PutUserPolicy: %v", err)
	}
	got, err := c.GetUserPolicy(ctx, &sdkiam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("nodelete")})
	if err != nil || !reflect.DeepEqual(polDecode(t, got.PolicyDocument), polJSON(t, inline)) {
		t.Fatalf("GetUserPolicy: %v %+v", err, got)
	}
	ents, err := c.ListEntitiesForPolicy(ctx, &sdkiam.ListEntitiesForPolicyInput{PolicyArn: admin})
	if err != nil || len(ents.PolicyUsers) != 1 || aws.ToString(ents.PolicyUsers[0].UserName) != "alice" {
		t.Fatalf("ListEntitiesForPolicy: %v %+v", err, ents)
	}
	d, err := c.GetAccountAuthorizationDetails(ctx, &sdkiam.GetAccountAuthorizationDetailsInput{})
	if err != nil || len(d.UserDetailList) != 1 || len(d.UserDetailList[0].UserPolicyList) != 1 ||
		len(d.UserDetailList[0].AttachedManagedPolicies) != 1 || len(d.Policies) != 1 || len(d.Policies[0].PolicyVersionList) != 1 {
		t.Fatalf("GetAccountAuthorizationDetails: %v %+v", err, d)
	}
	sum, err := c.GetAccountSummary(ctx, &sdkiam.GetAccountSummaryInput{})
	if err != nil || sum.SummaryMap["Users"] != 1 || sum.SummaryMap["AttachedPoliciesPerUserQuota"] != 10 || sum.SummaryMap["AccountAccessKeysPresent"] != 1 {
		t.Fatalf("GetAccountSummary: %v %v", err, sum.SummaryMap)
	}
	// The principal simulator sees alice's policies.
	sim, err := c.SimulatePrincipalPolicy(ctx, &sdkiam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + acct + ":user/alice"), ActionNames: []string{"s3:DeleteBucket", "ec2:RunInstances"}})
	if err != nil || len(sim.EvaluationResults) != 2 ||
		sim.EvaluationResults[0].EvalDecision != types.PolicyEvaluationDecisionTypeExplicitDeny ||
		sim.EvaluationResults[1].EvalDecision != types.PolicyEvaluationDecisionTypeAllowed {
		t.Fatalf("SimulatePrincipalPolicy: %v %+v", err, sim)
	}
	if m := sim.EvaluationResults[0].MatchedStatements; len(m) != 1 || aws.ToString(m[0].SourcePolicyId) != "nodelete" || m[0].SourcePolicyType != types.PolicySourceTypeUser {
		t.Fatalf("matched %+v", m)
	}
}

func TestSDKSimulateCustomPolicy(t *testing.T) {
	c, _ := newEntClient(t)
	ctx := context.Background()
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*",
		"Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::bucket/secret/*"}]}`
	out, err := c.SimulateCustomPolicy(ctx, &sdkiam.SimulateCustomPolicyInput{
		PolicyInputList: []string{allow, deny},
		ActionNames:     []string{"s3:GetObject"},
		ResourceArns:    []string{"arn:aws:s3:::bucket/public/a", "arn:aws:s3:::bucket/secret/b", "arn:aws:s3:::other/c"},
		ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("aws:RequestedRegion"), ContextKeyType: types.ContextKeyTypeEnumString,
			ContextKeyValues: []string{"us-east-1"}}},
	})
	if err != nil {
		t.Fatalf("SimulateCustomPolicy: %v", err)
	}
	want := []types.PolicyEvaluationDecisionType{types.PolicyEvaluationDecisionTypeAllowed, types.PolicyEvaluationDecisionTypeExplicitDeny, types.PolicyEvaluationDecisionTypeImplicitDeny}
	if len(out.EvaluationResults) != 3 {
		t.Fatalf("results = %+v", out.EvaluationResults)
	}
	for i, r := range out.EvaluationResults {
		if r.EvalDecision != want[i] || aws.ToString(r.EvalActionName) != "s3:GetObject" {
			t.Errorf("result %d: %s %s = %s, want %s", i, aws.ToString(r.EvalActionName), aws.ToString(r.EvalResourceName), r.EvalDecision, want[i])
		}
	}
	if m := out.EvaluationResults[1].MatchedStatements; len(m) != 1 || aws.ToString(m[0].SourcePolicyId) != "PolicyInputList.2" {
		t.Fatalf("deny matched %+v", m)
	}
	// Without the context key the condition does not hold.
	out, err = c.SimulateCustomPolicy(ctx, &sdkiam.SimulateCustomPolicyInput{PolicyInputList: []string{allow},
		ActionNames: []string{"s3:GetObject"}, ResourceArns: []string{"arn:aws:s3:::bucket/public/a"}})
	if err != nil || out.EvaluationResults[0].EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Fatalf("no context: %v %+v", err, out)
	}
	_, err = c.SimulateCustomPolicy(ctx, &sdkiam.SimulateCustomPolicyInput{PolicyInputList: []string{"{"}, ActionNames: []string{"s3:GetObject"}})
	entAPIError(t, err, "InvalidInput", "")
}
