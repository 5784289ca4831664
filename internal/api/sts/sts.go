package sts

import (
	"context"
	"errors"
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/authz"
	"github.com/nimbuscloud/nimbus/internal/sts"
)

// Service returns STS's protocol declaration and operation table.
func Service(svc *sts.Service) *protocol.Service {
	h := handlers{svc: svc}
	s := &protocol.Service{
		SigningName:    "sts",
		Protocols:      []protocol.Kind{protocol.Query},
		Version:        "2011-06-15",
		XMLNamespace:   "https://sts.amazonaws.com/doc/2011-06-15/",
		ValidationCode: "ValidationError",
		MapError:       mapError,
	}
	s.Register(
		protocol.Op("GetCallerIdentity", h.getCallerIdentity),
		protocol.Op("GetSessionToken", h.getSessionToken),
		protocol.Op("AssumeRole", h.assumeRole),
		protocol.Op("GetAccessKeyInfo", h.getAccessKeyInfo),
		protocol.Op("DecodeAuthorizationMessage", h.decodeAuthorizationMessage),
	)
	return s
}

type handlers struct{ svc *sts.Service }

// GetCallerIdentityInput has no members.
type GetCallerIdentityInput struct{}

// GetCallerIdentityOutput is rendered inside GetCallerIdentityResult.
type GetCallerIdentityOutput struct {
	UserId  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

func (h handlers) getCallerIdentity(ctx context.Context, _ *GetCallerIdentityInput) (*GetCallerIdentityOutput, error) {
	id, err := h.svc.GetCallerIdentity(ctx)
	if err != nil {
		return nil, err
	}
	return &GetCallerIdentityOutput{UserId: id.UserID, Account: id.Account, Arn: id.ARN}, nil
}

// Credentials is STS's credentials shape.
type Credentials struct {
	AccessKeyId     string        `xml:"AccessKeyId"`
	SecretAccessKey string        `xml:"SecretAccessKey"`
	SessionToken    string        `xml:"SessionToken"`
	Expiration      protocol.Time `xml:"Expiration"`
}

func credentials(c sts.Credentials) Credentials {
	return Credentials{AccessKeyId: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: protocol.NewTime(c.Expiration)}
}

// GetSessionTokenInput is GetSessionToken's request (MFA is not supported).
type GetSessionTokenInput struct {
	DurationSeconds int    `query:"DurationSeconds"`
	SerialNumber    string `query:"SerialNumber"`
	TokenCode       string `query:"TokenCode"`
}

// GetSessionTokenOutput is rendered inside GetSessionTokenResult.
type GetSessionTokenOutput struct {
	Credentials Credentials `xml:"Credentials"`
}

func (h handlers) getSessionToken(ctx context.Context, in *GetSessionTokenInput) (*GetSessionTokenOutput, error) {
	if in.SerialNumber != "" || in.TokenCode != "" {
		return nil, awserr.New(http.StatusBadRequest, "ValidationError", "MFA devices are not supported in this region.")
	}
	c, err := h.svc.GetSessionToken(ctx, in.DurationSeconds)
	if err != nil {
		return nil, err
	}
	return &GetSessionTokenOutput{Credentials: credentials(c)}, nil
}

// PolicyDescriptor names a managed policy passed as a session policy.
type PolicyDescriptor struct {
	Arn string `query:"arn"`
}

// Tag is a session tag.
type Tag struct {
	Key   string `query:"Key,required"`
	Value string `query:"Value,required"`
}

// AssumeRoleInput is AssumeRole's request.
type AssumeRoleInput struct {
	RoleArn           string             `query:"RoleArn,required"`
	RoleSessionName   string             `query:"RoleSessionName,required"`
	PolicyArns        []PolicyDescriptor `query:"PolicyArns"`
	Policy            string             `query:"Policy"`
	DurationSeconds   int                `query:"DurationSeconds"`
	Tags              []Tag              `query:"Tags"`
	TransitiveTagKeys []string           `query:"TransitiveTagKeys"`
	ExternalId        string             `query:"ExternalId"`
	SerialNumber      string             `query:"SerialNumber"`
	TokenCode         string             `query:"TokenCode"`
	SourceIdentity    string             `query:"SourceIdentity"`
}

// AssumedRoleUser identifies the session.
type AssumedRoleUser struct {
	AssumedRoleId string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

// AssumeRoleOutput is rendered inside AssumeRoleResult.
type AssumeRoleOutput struct {
	Credentials      Credentials     `xml:"Credentials"`
	AssumedRoleUser  AssumedRoleUser `xml:"AssumedRoleUser"`
	PackedPolicySize int             `xml:"PackedPolicySize"`
	SourceIdentity   string          `xml:"SourceIdentity,omitempty"`
}

func (h handlers) assumeRole(ctx context.Context, in *AssumeRoleInput) (*AssumeRoleOutput, error) {
	if in.SerialNumber != "" || in.TokenCode != "" {
		return nil, awserr.New(http.StatusBadRequest, "ValidationError", "MFA devices are not supported in this region.")
	}
	req := sts.AssumeRoleInput{
		RoleARN: in.RoleArn, RoleSessionName: in.RoleSessionName, DurationSeconds: in.DurationSeconds,
		Policy: in.Policy, TransitiveTagKeys: in.TransitiveTagKeys, ExternalID: in.ExternalId, SourceIdentity: in.SourceIdentity,
	}
	for _, p := range in.PolicyArns {
		req.PolicyARNs = append(req.PolicyARNs, p.Arn)
	}
	if len(in.Tags) > 0 {
		req.Tags = map[string]string{}
		for _, t := range in.Tags {
			if _, dup := req.Tags[t.Key]; dup {
				return nil, awserr.New(http.StatusBadRequest, "ValidationError", "Duplicate tag key %s.", t.Key)
			}
			req.Tags[t.Key] = t.Value
		}
	}
	out, err := h.svc.AssumeRole(ctx, req)
	if err != nil {
		return nil, err
	}
	return &AssumeRoleOutput{
		Credentials:      credentials(out.Credentials),
		AssumedRoleUser:  AssumedRoleUser{AssumedRoleId: out.AssumedRoleID, Arn: out.ARN},
		PackedPolicySize: out.PackedPolicySize,
		SourceIdentity:   out.SourceIdentity,
	}, nil
}

// GetAccessKeyInfoInput is GetAccessKeyInfo's request.
type GetAccessKeyInfoInput struct {
	AccessKeyId string `query:"AccessKeyId,required"`
}

// GetAccessKeyInfoOutput is rendered inside GetAccessKeyInfoResult.
type GetAccessKeyInfoOutput struct {
	Account string `xml:"Account"`
}

func (h handlers) getAccessKeyInfo(ctx context.Context, in *GetAccessKeyInfoInput) (*GetAccessKeyInfoOutput, error) {
	acct, err := h.svc.GetAccessKeyInfo(ctx, in.AccessKeyId)
	if err != nil {
		return nil, err
	}
	return &GetAccessKeyInfoOutput{Account: acct}, nil
}

// DecodeAuthorizationMessageInput is DecodeAuthorizationMessage's request.
type DecodeAuthorizationMessageInput struct {
	EncodedMessage string `query:"EncodedMessage,required"`
}

// DecodeAuthorizationMessageOutput is rendered inside its Result.
type DecodeAuthorizationMessageOutput struct {
	DecodedMessage string `xml:"DecodedMessage"`
}

func (h handlers) decodeAuthorizationMessage(ctx context.Context, in *DecodeAuthorizationMessageInput) (*DecodeAuthorizationMessageOutput, error) {
	msg, err := h.svc.DecodeAuthorizationMessage(ctx, in.EncodedMessage)
	if err != nil {
		return nil, err
	}
	return &DecodeAuthorizationMessageOutput{DecodedMessage: msg}, nil
}

// mapError is STS's error table.
func mapError(err error) (*awserr.Error, bool) {
	var denied *authz.Denied
	if errors.As(err, &denied) {
		return awserr.New(http.StatusForbidden, "AccessDenied", "%s", denied.Message), true
	}
	return awserr.Match(err, []awserr.Rule{
		{Sentinel: sts.ErrNoCaller, Status: http.StatusForbidden, Code: "MissingAuthenticationToken"},
		{Sentinel: sts.ErrValidation, Status: http.StatusBadRequest, Code: "ValidationError"},
		{Sentinel: sts.ErrMalformedPolicy, Status: http.StatusBadRequest, Code: "MalformedPolicyDocument"},
		{Sentinel: sts.ErrPackedTooLarge, Status: http.StatusBadRequest, Code: "PackedPolicyTooLarge"},
		{Sentinel: sts.ErrAccessDenied, Status: http.StatusForbidden, Code: "AccessDenied"},
		{Sentinel: sts.ErrInvalidAuthMsg, Status: http.StatusBadRequest, Code: "InvalidAuthorizationMessageException"},
	})
}
