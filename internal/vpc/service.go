package vpc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// Authorizer decides the caller's requests (internal/authz).
type Authorizer interface {
	Authorize(ctx context.Context, action, resource string, keys map[string][]string) error
}

// Options configure the service.
type Options struct {
	Region string
	AZs    []string
	// Rand is the source of resource IDs and VNIs (crypto/rand if nil).
	Rand io.Reader
	// Now is the clock (time.Now if nil).
	Now func() time.Time
}

// Service is the VPC control plane.
type Service struct {
	st    store.Store
	authz Authorizer
	opt   Options
	// defaults remembers accounts known to have had their default VPC
	// made (a fact that never reverts), sparing a read per request.
	defaults sync.Map
}

// New returns the service; call Migrate before use.
func New(st store.Store, az Authorizer, opt Options) *Service {
	if opt.Rand == nil {
		opt.Rand = rand.Reader
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Service{st: st, authz: az, opt: opt}
}

// Migrate creates or upgrades the service's tables.
func (s *Service) Migrate(ctx context.Context) error { return s.st.Migrate(ctx, Schema()) }

// account is the calling account, or ErrNoCaller.
func account(ctx context.Context) (string, error) {
	c := caller.From(ctx)
	if c == nil || c.Anonymous() {
		return "", ErrNoCaller
	}
	return c.Principal.AccountID, nil
}

// arn is the ARN of an account's resource of kind k (id may be "*").
func (s *Service) arn(k kind, account, id string) string { return s.ARN(account, string(k)+"/"+id) }

// ARN is the ARN of an account's EC2 resource ("subnet/subnet-0123...").
func (s *Service) ARN(account, resource string) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:%s", s.opt.Region, account, resource)
}

// authorize asks whether the caller may do ec2:<action> on resource.
func (s *Service) authorize(ctx context.Context, action, resource string) error {
	return s.authz.Authorize(ctx, "ec2:"+action, resource, nil)
}

// begin resolves the caller's account and authorizes action on resource.
func (s *Service) begin(ctx context.Context, action string, resource func(account string) string) (string, error) {
	acct, err := account(ctx)
	if err != nil {
		return "", err
	}
	res := "*"
	if resource != nil {
		res = resource(acct)
	}
	return acct, s.authorize(ctx, action, res)
}

// newID returns prefix and 17 random hex digits, as EC2's current IDs.
func (s *Service) newID(prefix string) (string, error) {
	var b [9]byte
	if _, err := io.ReadFull(s.opt.Rand, b[:]); err != nil {
		return "", fmt.Errorf("vpc: random: %w", err)
	}
	return prefix + hex.EncodeToString(b[:])[:17], nil
}

func (s *Service) now() int64 { return s.opt.Now().UnixMilli() }

// ErrDryRun is the answer to a request made under WithDryRun that would
// have succeeded: it was authorized and validated in full (its
// transaction ran and was rolled back), and nothing changed.
var ErrDryRun = errors.New("vpc: request would have succeeded, but DryRun flag is set")

type dryRunKey struct{}

// WithDryRun marks a request as EC2's DryRun.
func WithDryRun(ctx context.Context) context.Context {
	return context.WithValue(ctx, dryRunKey{}, true)
}

func isDryRun(ctx context.Context) bool { v, _ := ctx.Value(dryRunKey{}).(bool); return v }

// update runs fn in a store transaction, which a dry run rolls back after
// fn succeeded, answering ErrDryRun.
func (s *Service) update(ctx context.Context, fn func(store.Tx) error) error {
	return s.st.Update(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if isDryRun(ctx) {
			return ErrDryRun
		}
		return nil
	})
}
