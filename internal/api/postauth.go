package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/sigv4"
	"github.com/nimbuscloud/nimbus/internal/caller"
)

// AuthenticatePost verifies the signature of an S3 browser POST form (the
// policy field signed with the SigV4 key of x-amz-credential's scope) and
// returns the principal that signed it. The S3 handler calls it once it
// has read the form's fields: the gateway cannot, since they are in the
// body. It applies the gateway's own rules, in its order: scope region,
// key lookup (inactive keys, session tokens, expired sessions), then the
// signature; the secret never leaves this package. A successful use of a
// long-term key is recorded for GetAccessKeyLastUsed. Errors are S3's
// (*awserr.Error).
func (g *Gateway) AuthenticatePost(ctx context.Context, f sigv4.PostForm) (caller.Principal, error) {
	a, err := sigv4.ParsePost(f)
	if err != nil {
		return caller.Principal{}, postFormError(err, g.region)
	}
	key, err := g.authenticate(ctx, familyS3, a)
	if err != nil {
		return caller.Principal{}, err
	}
	if err := g.verifier.VerifyPost(a, key.Secret, f.Policy); err != nil {
		return caller.Principal{}, authError(familyS3, err, g.region)
	}
	c := caller.From(ctx)
	if c == nil {
		c = &caller.Caller{Region: g.region, Time: g.now()}
	}
	g.recordUse(key, "s3", c)
	return key.Principal, nil
}

// postFormError renders a malformed signature field of a POST form. There
// is no Authorization header to call malformed, so S3's InvalidArgument
// carries the detail.
func postFormError(err error, region string) error {
	if errors.Is(err, sigv4.ErrIncompleteSignature) || errors.Is(err, sigv4.ErrMalformedAuth) {
		msg := err.Error()
		for _, s := range []error{sigv4.ErrIncompleteSignature, sigv4.ErrMalformedAuth} {
			msg = strings.TrimPrefix(msg, s.Error()+": ")
		}
		return awserr.New(http.StatusBadRequest, "InvalidArgument", "%s", msg)
	}
	return authError(familyS3, err, region)
}
