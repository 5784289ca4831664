package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	apis3 "github.com/nimbuscloud/nimbus/internal/api/s3"
	"github.com/nimbuscloud/nimbus/internal/secret"
	"github.com/nimbuscloud/nimbus/internal/store/sqlite"
)

// BenchmarkGatewayGetCallerIdentity measures the whole server-side path of a
// signed sts:GetCallerIdentity (routing, SigV4 verification, key lookup in
// a real SQLite store, decode, call, encode, metrics) without the network.
func BenchmarkGatewayGetCallerIdentity(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	box, _, err := secret.LoadOrCreate(filepath.Join(dir, "master.key"))
	if err != nil {
		b.Fatal(err)
	}
	accts := account.New(st, box, account.Options{})
	if err := accts.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	_, key, _, err := accts.Bootstrap(ctx, "", account.Key{})
	if err != nil {
		b.Fatal(err)
	}
	g, err := New(Options{
		Region:   "us-east-1",
		Services: []*protocol.Service{whoami()},
		S3:       apis3.New(nil, nil),
		Keys:     account.NewKeyCache(accts, 2*time.Second, nil),
		Metrics:  NewMetrics(prometheus.NewRegistry()),
	})
	if err != nil {
		b.Fatal(err)
	}
	body := "Action=GetCallerIdentity&Version=2011-06-15"
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	proto := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", strings.NewReader(body))
	proto.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.Secret}, proto, hash, "sts", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", strings.NewReader(body))
			r.Header = proto.Header.Clone()
			w := httptest.NewRecorder()
			g.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
