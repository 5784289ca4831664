package app

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/api/catalog"
	apiec2 "github.com/nimbuscloud/nimbus/internal/api/ec2"
	apiiam "github.com/nimbuscloud/nimbus/internal/api/iam"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	apists "github.com/nimbuscloud/nimbus/internal/api/sts"
	"github.com/nimbuscloud/nimbus/internal/authz"
	"github.com/nimbuscloud/nimbus/internal/config"
	"github.com/nimbuscloud/nimbus/internal/ec2"
	"github.com/nimbuscloud/nimbus/internal/iam"
	"github.com/nimbuscloud/nimbus/internal/sts"
)

// keyCacheTTL bounds how long a deactivated or deleted access key (or a
// revoked session) keeps working on a server that had just used it; the
// authorizer uses the same bound for policy changes made by other servers.
const keyCacheTTL = 2 * time.Second

// services is what the gateway serves.
type services struct {
	rpc  []*protocol.Service
	keys *account.KeyCache
}

// buildServices wires IAM, STS, the authorizer and the other services.
// The authorizer reads policies from IAM and IAM asks the authorizer, so
// the policy source is bound after both exist.
func buildServices(ctx context.Context, core *Core, cfg config.Server) (services, error) {
	policies := &policySource{}
	az := authz.New(policies, authz.Options{TTL: keyCacheTTL, Box: core.Box})
	keys := &keySources{accounts: core.Accounts}
	cache := account.NewKeyCache(keys, keyCacheTTL, nil)

	iamSvc := iam.New(core.Store, core.Accounts, az, iam.Options{Changes: az, Keys: cache})
	if err := iamSvc.Migrate(ctx); err != nil {
		return services{}, fmt.Errorf("migrate iam: %w", err)
	}
	policies.iam = iamSvc
	stsSvc := sts.New(core.Store, core.Box, iamSvc, keys, az, sts.Options{MinDuration: cfg.STSMinSessionDuration})
	if err := stsSvc.Migrate(ctx); err != nil {
		return services{}, fmt.Errorf("migrate sts: %w", err)
	}
	keys.sessions = stsSvc

	ec2Svc := ec2.New(ec2.Region{Name: cfg.Region, Endpoint: endpointHost(cfg), AZs: cfg.AZs}, az)
	rpc := []*protocol.Service{
		apists.Service(stsSvc),
		apiiam.Service(iamSvc),
		apiec2.Service(ec2Svc),
	}
	return services{rpc: append(rpc, catalog.Pending()...), keys: cache}, nil
}

func endpointHost(cfg config.Server) string {
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return host
}

// keySources resolves long-term keys through accounts and temporary (ASIA)
// keys through STS.
type keySources struct {
	accounts *account.Service
	sessions *sts.Service
}

func (k *keySources) LookupKey(ctx context.Context, accessKeyID string) (account.Key, error) {
	if strings.HasPrefix(accessKeyID, "ASIA") {
		return k.sessions.LookupKey(ctx, accessKeyID)
	}
	return k.accounts.LookupKey(ctx, accessKeyID)
}

// KeyAccount tells STS which account owns a long-term key.
func (k *keySources) KeyAccount(ctx context.Context, accessKeyID string) (string, error) {
	key, err := k.accounts.LookupKey(ctx, accessKeyID)
	if err != nil {
		return "", err
	}
	return key.AccountID, nil
}

// policySource hands the authorizer IAM's policies once IAM exists.
type policySource struct{ iam *iam.Service }

func (p *policySource) EffectivePolicies(ctx context.Context, accountID, kind, name string) (iam.Effective, error) {
	return p.iam.EffectivePolicies(ctx, accountID, kind, name)
}

func (p *policySource) PrincipalTags(ctx context.Context, accountID, kind, name string) (map[string]string, error) {
	return p.iam.PrincipalTags(ctx, accountID, kind, name)
}

func (p *policySource) ManagedPolicy(ctx context.Context, accountID, arn string) (iam.PolicyDoc, error) {
	return p.iam.ManagedPolicy(ctx, accountID, arn)
}
