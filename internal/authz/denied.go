package authz

// Denied is an authorization failure. Message is AWS's sentence: "User:
// arn:aws:iam::123456789012:user/alice is not authorized to perform:
// iam:CreateUser on resource: arn:aws:iam::123456789012:user/bob because no
// identity-based policy allows the iam:CreateUser action".
type Denied struct {
	Message string
}

func (d *Denied) Error() string { return d.Message }
