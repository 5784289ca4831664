package authz

// Denied is an authorization failure. Message is AWS's sentence: "User:
// arn:aws:iam::123456789012:user/alice is not authorized to perform:
// iam:CreateUser on resource: arn:aws:iam::123456789012:user/bob because no
// identity-based policy allows the iam:CreateUser action".
type Denied struct {
	Message string
	// Encoded is the sealed decision details for EC2's "Encoded
	// authorization failure message" (sts:DecodeAuthorizationMessage opens
	// it for the same account); empty when the Authorizer has no Box.
	Encoded string
}

// MessageAAD binds an encoded authorization message to the account it was
// produced for: only that account can decode it.
func MessageAAD(accountID string) string { return "authorization-message:" + accountID }

func (d *Denied) Error() string { return d.Message }
