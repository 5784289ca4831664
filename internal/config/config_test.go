package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "nimbus.yaml")
	if err := os.WriteFile(file, []byte("listen: 127.0.0.1:1000\nregion: eu-west-1\nlog_level: debug\ns3_domains: [s3.example.test, s3.other.test]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  []string
		want func(Server) bool
	}{
		{"defaults", nil, nil, func(c Server) bool {
			return c.Listen == "127.0.0.1:4566" && c.Region == "us-east-1" && c.DataDir == "./nimbus-data" &&
				strings.Join(c.AZs, ",") == "us-east-1a,us-east-1b,us-east-1c" && c.KeyFile == "./nimbus-data/master.key" && c.Store == "sqlite"
		}},
		{"file", []string{"--config", file}, nil, func(c Server) bool {
			return c.Listen == "127.0.0.1:1000" && c.Region == "eu-west-1" && c.LogLevel == "debug" && c.AZs[0] == "eu-west-1a" &&
				strings.Join(c.S3Domains, ",") == "s3.example.test,s3.other.test"
		}},
		{"env over file", []string{"--config", file}, []string{"NIMBUS_LISTEN=127.0.0.1:2000"}, func(c Server) bool {
			return c.Listen == "127.0.0.1:2000" && c.Region == "eu-west-1"
		}},
		{"env names the file", nil, []string{"NIMBUS_CONFIG=" + file}, func(c Server) bool { return c.Listen == "127.0.0.1:1000" }},
		{"flag over env", []string{"--config", file, "--listen", "127.0.0.1:3000"}, []string{"NIMBUS_LISTEN=127.0.0.1:2000"}, func(c Server) bool {
			return c.Listen == "127.0.0.1:3000"
		}},
		{"bool flag", []string{"--tls-listen", "127.0.0.1:4567", "--tls-self-signed"}, nil, func(c Server) bool { return c.TLSSelfSigned }},
		{"sizes and durations", []string{"--max-body-bytes", "2MiB", "--shutdown-timeout", "5s"}, nil, func(c Server) bool {
			return c.MaxBodyBytes == 2<<20 && c.ShutdownTimeout == 5*time.Second
		}},
		{"scrub defaults", nil, nil, func(c Server) bool {
			return c.StorageScrubInterval == 24*time.Hour && c.StorageScrubDelay == 5*time.Minute && c.StorageOrphanGrace == time.Hour
		}},
		{"scrub delay follows a short interval", []string{"--storage-scrub-interval", "1m"}, nil, func(c Server) bool {
			return c.StorageScrubInterval == time.Minute && c.StorageScrubDelay == time.Minute
		}},
		{"scrub settings", []string{"--storage-scrub-delay", "1s"}, []string{"NIMBUS_STORAGE_ORPHAN_GRACE=2s", "NIMBUS_STORAGE_SCRUB_INTERVAL=1h"}, func(c Server) bool {
			return c.StorageScrubDelay == time.Second && c.StorageOrphanGrace == 2*time.Second && c.StorageScrubInterval == time.Hour
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadServer(tt.args, tt.env, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(c) {
				t.Fatalf("unexpected config: %+v", c)
			}
		})
	}
}

func TestBadValuesNameTheSetting(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("lsiten: 1\n"), 0o600)
	tests := []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"--listen", "nope"}, nil, "setting listen (from flag --listen)"},
		{nil, []string{"NIMBUS_REGION=Mars"}, "setting region (from env NIMBUS_REGION)"},
		{[]string{"--azs", "us-east-1a,eu-west-1b"}, nil, "setting azs"},
		{[]string{"--store", "mysql://x"}, nil, "setting store"},
		{[]string{"--log-format", "xml"}, nil, "setting log-format"},
		{[]string{"--config", bad}, nil, `unknown setting "lsiten"`},
		{[]string{"--config", filepath.Join(dir, "missing.yaml")}, nil, "config file"},
		{[]string{"--bootstrap-access-key", "AKIAAAAAAAAAAAAAAAAA"}, nil, "setting bootstrap-access-key"},
		{[]string{"--bootstrap-account-id", "12"}, nil, "setting bootstrap-account-id"},
		{[]string{"--tls-cert", "x.pem"}, nil, "setting tls-listen"},
		{[]string{"--max-body-bytes", "lots"}, nil, "setting max-body-bytes"},
		{[]string{"--shutdown-timeout", "-1s"}, nil, "setting shutdown-timeout"},
		{[]string{"extra"}, nil, "unexpected argument"},
		{nil, []string{"NIMBUS_DATA_DIR="}, "setting data-dir (from env NIMBUS_DATA_DIR)"},
		{[]string{"--max-body-bytes", "18446744073709551KB"}, nil, "setting max-body-bytes"},
		{[]string{"--debug-listen", "0.0.0.0:6060"}, nil, "setting debug-listen"},
		{[]string{"--shutdown-timeout", "0s"}, nil, "setting shutdown-timeout"},
		{[]string{"--storage-scrub-interval", "0s"}, nil, "setting storage-scrub-interval (from flag --storage-scrub-interval)"},
		{[]string{"--storage-scrub-delay", "6m"}, nil, "setting storage-scrub-delay"},
		{[]string{"--storage-scrub-interval", "1m", "--storage-scrub-delay", "2m"}, nil, "setting storage-scrub-delay"},
		{nil, []string{"NIMBUS_STORAGE_ORPHAN_GRACE=0s"}, "setting storage-orphan-grace (from env NIMBUS_STORAGE_ORPHAN_GRACE)"},
		{[]string{"--storage-orphan-grace", "soon"}, nil, "setting storage-orphan-grace"},
	}
	for _, tt := range tests {
		_, err := LoadServer(tt.args, tt.env, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("args %v env %v: got %v, want error containing %q", tt.args, tt.env, err, tt.want)
		}
	}
}

func TestStoreValueIsNeverEchoed(t *testing.T) {
	_, err := LoadServer([]string{"--store", "mysql://u:s3cret@pw@host/db"}, nil, io.Discard)
	if err == nil || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "pw@host") {
		t.Fatalf("got %v", err)
	}
	for _, ok := range []string{"sqlite", "postgres://u:p@h/db", "postgresql://h/db", "host=127.0.0.1 user=u password=p dbname=x"} {
		if _, err := LoadServer([]string{"--store", ok}, nil, io.Discard); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
