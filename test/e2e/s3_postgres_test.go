package e2e

import (
	"path/filepath"
	"testing"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

// TestS3OnPostgres runs the versioning, object lock and lifecycle
// scenarios against a region whose metadata store is PostgreSQL: their
// queries (the versions union, row moves between s3_objects and
// s3_versions, lifecycle scans) run on both dialects.
func TestS3OnPostgres(t *testing.T) {
	dsn := freshPostgres(t)
	r := harness.Start(t, harness.WithArgs("--store", dsn, "--key-file", filepath.Join(t.TempDir(), "master.key"),
		"--s3-lifecycle-interval", "500ms", "--s3-lifecycle-day", "1s"))
	t.Run("versioning", func(t *testing.T) { s3VersioningScenario(t, r) })
	t.Run("object lock", func(t *testing.T) { s3ObjectLockScenario(t, r) })
	t.Run("lifecycle", func(t *testing.T) { s3LifecycleScenario(t, r) })
}
