package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/jackc/pgx/v5"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

// freshPostgres creates a database of its own on NIMBUS_TEST_POSTGRES and
// returns its DSN. It skips without Postgres, except under CI.
func freshPostgres(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("NIMBUS_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("NIMBUS_TEST_POSTGRES is not set under CI (make test starts PostgreSQL)")
		}
		t.Skip("NIMBUS_TEST_POSTGRES not set: no PostgreSQL to test against")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := "nimbus_e2e_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// TestTwoServersShareOnePostgres runs two front ends on one database and
// one key file: an account created through one is usable at the other.
func TestTwoServersShareOnePostgres(t *testing.T) {
	dsn := freshPostgres(t)
	keyFile := filepath.Join(t.TempDir(), "master.key")
	acct, ak, sk := harness.RandomCredentials()
	shared := []harness.Option{
		harness.WithCredentials(acct, ak, sk),
		harness.WithArgs("--store", dsn, "--key-file", keyFile),
	}
	a := harness.Start(t, shared...)
	b := harness.Start(t, shared...)
	ctx := context.Background()

	for _, r := range []*harness.Region{a, b} {
		out, err := sts.NewFromConfig(r.AWSConfig()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil || aws.ToString(out.Account) != acct {
			t.Fatalf("server %s: %v", r.Addr, err)
		}
	}
	// A write through A's store (admin) is visible to B.
	out, err := a.Nimbus(t, "admin", "accounts", "create", "--name", "shared", "--store", dsn, "--key-file", keyFile, "--data-dir", a.DataDir)
	if err != nil {
		t.Fatalf("admin: %v\n%s", err, out)
	}
	exp := parseExports(out)
	id, err := sts.NewFromConfig(b.ConfigFor(exp["AWS_ACCESS_KEY_ID"], exp["AWS_SECRET_ACCESS_KEY"])).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) == acct {
		t.Fatalf("new account through B: %v %v", id, err)
	}
	// Restarting A keeps everything (the state lives in Postgres).
	a.Restart(t)
	if _, err := sts.NewFromConfig(a.ConfigFor(exp["AWS_ACCESS_KEY_ID"], exp["AWS_SECRET_ACCESS_KEY"])).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

// TestServersStartingTogetherCreateOneAccount: two servers with no fixed
// credentials start at once on an empty shared database; exactly one first
// account exists and its credentials are printed exactly once.
func TestServersStartingTogetherCreateOneAccount(t *testing.T) {
	dsn := freshPostgres(t)
	keyFile := filepath.Join(t.TempDir(), "master.key")
	args := []string{"--store", dsn, "--key-file", keyFile}
	cmds := make([]*exec.Cmd, 2)
	outs := make([]*strings.Builder, 2)
	for i := range cmds {
		outs[i] = &strings.Builder{}
		cmds[i] = exec.Command(harness.Binary(t), append([]string{"server", "--data-dir", t.TempDir(), "--listen", harness.FreePort(t)}, args...)...)
		cmds[i].Stdout = outs[i]
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * time.Second)
	for _, c := range cmds {
		c.Process.Signal(syscall.SIGTERM)
		c.Wait()
	}
	printed := strings.Count(outs[0].String()+outs[1].String(), "export AWS_SECRET_ACCESS_KEY=")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM account_accounts").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 || printed != 1 {
		t.Fatalf("accounts=%d, credentials printed %d times; want 1 and 1", n, printed)
	}
}
