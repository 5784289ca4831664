package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/api/catalog"
	apiec2 "github.com/nimbuscloud/nimbus/internal/api/ec2"
	apiiam "github.com/nimbuscloud/nimbus/internal/api/iam"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	apists "github.com/nimbuscloud/nimbus/internal/api/sts"
	"github.com/nimbuscloud/nimbus/internal/authz"
	"github.com/nimbuscloud/nimbus/internal/blob/engine"
	"github.com/nimbuscloud/nimbus/internal/config"
	"github.com/nimbuscloud/nimbus/internal/ec2"
	"github.com/nimbuscloud/nimbus/internal/iam"
	"github.com/nimbuscloud/nimbus/internal/s3"
	"github.com/nimbuscloud/nimbus/internal/sts"
	"github.com/nimbuscloud/nimbus/internal/vpc"
)

// keyCacheTTL bounds how long a deactivated or deleted access key (or a
// revoked session) keeps working on a server that had just used it; the
// authorizer uses the same bound for policy changes made by other servers.
const keyCacheTTL = 2 * time.Second

// services is what the gateway serves.
type services struct {
	rpc     []*protocol.Service
	keys    *account.KeyCache
	s3      *s3.Service
	engine  *engine.Engine
	catalog engine.Catalog
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
	vpcSvc := vpc.New(core.Store, az, vpc.Options{Region: cfg.Region, AZs: cfg.AZs})
	if err := vpcSvc.Migrate(ctx); err != nil {
		return services{}, fmt.Errorf("migrate vpc: %w", err)
	}
	rpc := []*protocol.Service{
		apists.Service(stsSvc),
		apiiam.Service(iamSvc),
		apiec2.Service(ec2Svc, vpcSvc),
	}
	eng, err := openEngine(ctx, cfg)
	if err != nil {
		return services{}, err
	}
	s3Svc := s3.New(core.Store, engineBlobs{eng}, az, s3.Options{Region: cfg.Region, Sealer: core.Box})
	if err := s3Svc.Migrate(ctx); err != nil {
		eng.Close()
		return services{}, fmt.Errorf("migrate s3: %w", err)
	}
	return services{rpc: append(rpc, catalog.Pending()...), keys: cache, s3: s3Svc, engine: eng, catalog: s3Catalog{s3Svc}}, nil
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

// openEngine opens the object engine on <data-dir>/objects with the shard
// hash key kept in <data-dir>/blob.key (created on first start).
func openEngine(ctx context.Context, cfg config.Server) (*engine.Engine, error) {
	root := filepath.Join(cfg.DataDir, "objects")
	key, err := loadBlobKey(filepath.Join(cfg.DataDir, "blob.key"), root)
	if err != nil {
		return nil, err
	}
	e, err := engine.Open(ctx, engine.Config{Root: root, AZs: cfg.AZs, Key: key, Grace: cfg.StorageOrphanGrace})
	if err != nil {
		return nil, fmt.Errorf("open object engine: %w", err)
	}
	return e, nil
}

// loadBlobKey reads the 32-byte shard hash key, creating it when neither it
// nor any stored object exists (a missing key next to stored shards would
// make every shard unverifiable, so that is an error).
func loadBlobKey(path, root string) ([32]byte, error) {
	var key [32]byte
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) != len(key) {
			return key, fmt.Errorf("blob key %s: want %d bytes, have %d", path, len(key), len(b))
		}
		copy(key[:], b)
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return key, fmt.Errorf("blob key: %w", err)
	}
	if entries, err := os.ReadDir(root); err == nil && len(entries) > 0 {
		return key, fmt.Errorf("blob key %s does not exist but %s holds objects; restore the key file", path, root)
	}
	if _, err := io.ReadFull(rand.Reader, key[:]); err != nil {
		return key, err
	}
	if err := writeFileSync(path, key[:]); err != nil {
		return key, fmt.Errorf("blob key: %w", err)
	}
	return key, nil
}

func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// engineBlobs adapts the engine to the S3 service's Blobs (which keeps
// refs as the engine's marshalled bytes).
type engineBlobs struct{ e *engine.Engine }

func (b engineBlobs) Put(ctx context.Context, class string, size int64, r io.Reader) (s3.Blob, error) {
	ref, err := b.e.Put(ctx, class, size, r)
	if err != nil {
		return s3.Blob{}, err
	}
	data, err := ref.MarshalBinary()
	if err != nil {
		_ = b.e.Delete(context.WithoutCancel(ctx), ref)
		return s3.Blob{}, err
	}
	return s3.Blob{ID: ref.ID(), Ref: data}, nil
}

func (b engineBlobs) Read(ctx context.Context, data []byte, w io.Writer, off, n int64) (int64, error) {
	var ref engine.Ref
	if err := ref.UnmarshalBinary(data); err != nil {
		return 0, err
	}
	return b.e.Read(ctx, ref, w, off, n)
}

func (b engineBlobs) Delete(ctx context.Context, data []byte) error {
	var ref engine.Ref
	if err := ref.UnmarshalBinary(data); err != nil {
		return err
	}
	return b.e.Delete(ctx, ref)
}

// s3Catalog tells the engine's scrubber which objects S3's rows name.
type s3Catalog struct{ s *s3.Service }

func (c s3Catalog) Live(ctx context.Context, fn func(engine.Ref) error) error {
	return c.s.LiveBlobs(ctx, func(data []byte) error {
		var ref engine.Ref
		if err := ref.UnmarshalBinary(data); err != nil {
			return err
		}
		return fn(ref)
	})
}

func (c s3Catalog) IsLive(ctx context.Context, id string) (bool, error) { return c.s.BlobLive(ctx, id) }
