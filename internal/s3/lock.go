package s3

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// Object lock retention modes.
const (
	LockGovernance = "GOVERNANCE"
	LockCompliance = "COMPLIANCE"
)

// lockState is one version's object lock.
type lockState struct {
	mode  string
	until time.Time
	hold  bool
}

// readLock reads the object lock of one version of a key (found false
// when the version does not exist).
func readLock(ctx context.Context, tx store.Tx, bucket, key, vid string) (st lockState, found bool, err error) {
	var until int64
	var hold int
	for _, table := range []string{"s3_objects", "s3_versions"} {
		err = tx.QueryRow(ctx, `SELECT lock_mode, lock_until, legal_hold FROM `+table+` WHERE bucket = ? AND object_key = ? AND version_id = ?`,
			bucket, key, vid).Scan(&st.mode, &until, &hold)
		if !errors.Is(err, store.ErrNotFound) {
			break
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return st, false, nil
	}
	if err != nil {
		return st, false, err
	}
	if until != 0 {
		st.until = time.UnixMilli(until).UTC()
	}
	st.hold = hold != 0
	return st, true, nil
}

// errLocked is S3's answer to deleting or overwriting a locked version.
func errLocked() error {
	return wrap(ErrAccessDenied, "Access Denied because object protected by object lock.")
}

// retained reports whether a lock still protects its version at now.
func (st lockState) retained(now time.Time) bool {
	return st.mode != "" && st.until.After(now)
}

// checkLockedDelete refuses deleting a version that a legal hold or an
// unexpired retention protects; GOVERNANCE retention yields to a caller
// that asks to bypass it and holds s3:BypassGovernanceRetention.
func (s *Service) checkLockedDelete(ctx context.Context, tx store.Tx, b *Bucket, id ObjectID, opts DeleteOptions) error {
	st, found, err := readLock(ctx, tx, b.Name, id.Key, id.VersionID)
	if err != nil || !found {
		return err
	}
	if st.hold {
		return errLocked()
	}
	if !st.retained(s.now()) {
		return nil
	}
	if st.mode == LockGovernance && opts.BypassGovernance {
		return s.authorize(ctx, b, "s3:BypassGovernanceRetention", ObjectARN(b.Name, id.Key), nil)
	}
	return errLocked()
}

// LockConfig is a bucket's object lock configuration: enabled, and the
// optional default retention given to new versions (Days or Years).
type LockConfig struct {
	Enabled bool   `json:"enabled"`
	Mode    string `json:"mode,omitempty"`
	Days    int    `json:"days,omitempty"`
	Years   int    `json:"years,omitempty"`
}

func decodeLock(s string) (LockConfig, error) {
	var c LockConfig
	if s == "" {
		return c, nil
	}
	err := json.Unmarshal([]byte(s), &c)
	return c, err
}

// checkLockConfig applies S3's rules to a configuration being put.
func checkLockConfig(c LockConfig) error {
	if !c.Enabled {
		return wrap(ErrMalformedXML, "ObjectLockEnabled must be Enabled")
	}
	if c.Mode == "" && c.Days == 0 && c.Years == 0 {
		return nil
	}
	if c.Mode != LockGovernance && c.Mode != LockCompliance {
		return wrap(ErrMalformedXML, "Mode must be GOVERNANCE or COMPLIANCE")
	}
	switch {
	case c.Days != 0 && c.Years != 0:
		return wrap(ErrMalformedXML, "DefaultRetention has both Days and Years")
	case c.Days < 0 || c.Years < 0 || (c.Days == 0 && c.Years == 0):
		return wrap(ErrInvalidArgument, "Default retention period must be a positive integer value")
	case c.Days > 36500 || c.Years > 100:
		return wrap(ErrInvalidArgument, "Default retention period is too large")
	}
	return nil
}

// defaultRetention is the retention a new version gets from its bucket's
// configuration at now ("" mode when none).
func (c LockConfig) defaultRetention(now time.Time) (string, time.Time) {
	switch {
	case !c.Enabled || c.Mode == "":
		return "", time.Time{}
	case c.Years > 0:
		return c.Mode, now.AddDate(c.Years, 0, 0)
	default:
		return c.Mode, now.AddDate(0, 0, c.Days)
	}
}

// PutObjectLockConfiguration enables object lock on a bucket (which must
// have versioning enabled) and sets its default retention.
func (s *Service) PutObjectLockConfiguration(ctx context.Context, bucket string, c LockConfig) error {
	if err := checkLockConfig(c); err != nil {
		return err
	}
	b, err := s.Bucket(ctx, bucket, "s3:PutBucketObjectLockConfiguration")
	if err != nil {
		return err
	}
	js, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		cur, err := sameBucket(ctx, tx, b)
		if err != nil {
			return err
		}
		if cur.Versioning != VersioningEnabled {
			return wrap(ErrInvalidBucketState, "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
		}
		_, err = tx.Exec(ctx, `UPDATE s3_buckets SET object_lock = ? WHERE name = ?`, string(js), bucket)
		return err
	})
}

// GetObjectLockConfiguration returns a bucket's object lock configuration.
func (s *Service) GetObjectLockConfiguration(ctx context.Context, bucket string) (LockConfig, error) {
	b, err := s.Bucket(ctx, bucket, "s3:GetBucketObjectLockConfiguration")
	if err != nil {
		return LockConfig{}, err
	}
	if b.ObjectLock == "" {
		return LockConfig{}, wrap(ErrNoLockConfiguration, "Object Lock configuration does not exist for this bucket")
	}
	return decodeLock(b.ObjectLock)
}

// Retention is one version's retention: Mode "" means none.
type Retention struct {
	Mode  string
	Until time.Time
}

// checkNewLock validates the lock a write asks for (mode and date
// together, a future date, a lock-enabled bucket) and fills in the
// bucket's default retention when it asks for none.
func (s *Service) checkNewLock(b *Bucket, r *Retention, hold bool) error {
	if (r.Mode == "") != r.Until.IsZero() {
		return wrap(ErrInvalidArgument, "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
	}
	if r.Mode != "" && r.Mode != LockGovernance && r.Mode != LockCompliance {
		return wrap(ErrInvalidArgument, "Unknown wormMode directive.")
	}
	cfg, err := decodeLock(b.ObjectLock)
	if err != nil {
		return err
	}
	if (r.Mode != "" || hold) && !cfg.Enabled {
		return wrap(ErrInvalidRequest, "Bucket is missing Object Lock Configuration")
	}
	now := s.now()
	if r.Mode != "" && !r.Until.After(now) {
		return wrap(ErrInvalidArgument, "The retain until date must be in the future!")
	}
	if r.Mode == "" {
		r.Mode, r.Until = cfg.defaultRetention(now)
	}
	return nil
}

// objectForLock reads the bucket and authorizes action on a version of
// a key, for the retention and legal hold operations.
func (s *Service) objectForLock(ctx context.Context, bucket string, id ObjectID, action string) (*Bucket, error) {
	if err := checkKey(id.Key); err != nil {
		return nil, err
	}
	if id.VersionID != "" {
		if err := checkVersionID(id.VersionID); err != nil {
			return nil, err
		}
	}
	b, err := s.loadBucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, b, action, ObjectARN(bucket, id.Key), nil); err != nil {
		return nil, err
	}
	if b.ObjectLock == "" {
		return nil, wrap(ErrInvalidRequest, "Bucket is missing Object Lock Configuration")
	}
	return b, nil
}

// resolveVersion names the version an ObjectID means: its own ID, or the
// key's latest object version.
func resolveVersion(ctx context.Context, tx store.Tx, b *Bucket, id ObjectID) (string, error) {
	if id.VersionID != "" {
		return id.VersionID, nil
	}
	o, err := getObject(ctx, tx, b, id.Key)
	if err != nil {
		return "", err
	}
	return o.VersionID, nil
}

// PutObjectRetention sets a version's retention. COMPLIANCE retention
// can only be extended; GOVERNANCE retention can be shortened or removed
// only with the bypass and s3:BypassGovernanceRetention.
func (s *Service) PutObjectRetention(ctx context.Context, bucket string, id ObjectID, r Retention, opts DeleteOptions) error {
	if r.Mode != "" && r.Mode != LockGovernance && r.Mode != LockCompliance {
		return wrap(ErrMalformedXML, "Mode must be GOVERNANCE or COMPLIANCE")
	}
	if (r.Mode == "") != r.Until.IsZero() {
		return wrap(ErrMalformedXML, "Mode and RetainUntilDate must be given together")
	}
	if r.Mode != "" && !r.Until.After(s.now()) {
		return wrap(ErrInvalidArgument, "The retain until date must be in the future!")
	}
	b, err := s.objectForLock(ctx, bucket, id, "s3:PutObjectRetention")
	if err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		cur, err := sameBucket(ctx, tx, b)
		if err != nil {
			return err
		}
		vid, err := resolveVersion(ctx, tx, cur, id)
		if err != nil {
			return err
		}
		st, found, err := readLock(ctx, tx, b.Name, id.Key, vid)
		if err != nil {
			return err
		}
		if !found {
			return wrap(ErrNoSuchVersion, "The specified version does not exist.")
		}
		weaker := r.Mode == "" || r.Until.Before(st.until) || (st.mode == LockCompliance && r.Mode == LockGovernance)
		if st.retained(s.now()) && weaker {
			if st.mode == LockCompliance || !opts.BypassGovernance {
				return errLocked()
			}
			if err := s.authorize(ctx, b, "s3:BypassGovernanceRetention", ObjectARN(b.Name, id.Key), nil); err != nil {
				return err
			}
		}
		var until int64
		if r.Mode != "" {
			until = r.Until.UnixMilli()
		}
		return setVersionColumns(ctx, tx, b.Name, id.Key, vid, `lock_mode = ?, lock_until = ?`, r.Mode, until)
	})
}

// setVersionColumns updates one (object) version's columns, wherever the
// version is.
func setVersionColumns(ctx context.Context, tx store.Tx, bucket, key, vid, set string, args ...any) error {
	args = append(args, bucket, key, vid)
	n, err := tx.Exec(ctx, `UPDATE s3_objects SET `+set+` WHERE bucket = ? AND object_key = ? AND version_id = ?`, args...)
	if err == nil && n == 0 {
		n, err = tx.Exec(ctx, `UPDATE s3_versions SET `+set+` WHERE bucket = ? AND object_key = ? AND version_id = ? AND delete_marker = 0`, args...)
	}
	if err == nil && n == 0 {
		return wrap(ErrNoSuchVersion, "The specified version does not exist.")
	}
	return err
}

// GetObjectRetention returns a version's retention.
func (s *Service) GetObjectRetention(ctx context.Context, bucket string, id ObjectID) (Retention, error) {
	b, err := s.objectForLock(ctx, bucket, id, "s3:GetObjectRetention")
	if err != nil {
		return Retention{}, err
	}
	st, err := s.versionLock(ctx, b, id)
	if err != nil {
		return Retention{}, err
	}
	if st.mode == "" {
		return Retention{}, wrap(ErrNoObjectLock, "The specified object does not have a ObjectLock configuration")
	}
	return Retention{Mode: st.mode, Until: st.until}, nil
}

// PutObjectLegalHold sets or clears a version's legal hold.
func (s *Service) PutObjectLegalHold(ctx context.Context, bucket string, id ObjectID, on bool) error {
	b, err := s.objectForLock(ctx, bucket, id, "s3:PutObjectLegalHold")
	if err != nil {
		return err
	}
	hold := 0
	if on {
		hold = 1
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		cur, err := sameBucket(ctx, tx, b)
		if err != nil {
			return err
		}
		vid, err := resolveVersion(ctx, tx, cur, id)
		if err != nil {
			return err
		}
		return setVersionColumns(ctx, tx, b.Name, id.Key, vid, `legal_hold = ?`, hold)
	})
}

// GetObjectLegalHold reports a version's legal hold.
func (s *Service) GetObjectLegalHold(ctx context.Context, bucket string, id ObjectID) (bool, error) {
	b, err := s.objectForLock(ctx, bucket, id, "s3:GetObjectLegalHold")
	if err != nil {
		return false, err
	}
	st, err := s.versionLock(ctx, b, id)
	return st.hold, err
}

// authorizeLock validates the object lock a write asks for (filling in
// the bucket's default retention) and authorizes setting it explicitly:
// s3:PutObjectRetention and s3:PutObjectLegalHold, as S3.
func (s *Service) authorizeLock(ctx context.Context, b *Bucket, key string, r *Retention, hold bool) error {
	explicit := r.Mode != ""
	if err := s.checkNewLock(b, r, hold); err != nil {
		return err
	}
	if explicit {
		if err := s.authorize(ctx, b, "s3:PutObjectRetention", ObjectARN(b.Name, key), nil); err != nil {
			return err
		}
	}
	if hold {
		return s.authorize(ctx, b, "s3:PutObjectLegalHold", ObjectARN(b.Name, key), nil)
	}
	return nil
}

// versionLock reads the object lock of the version id names.
func (s *Service) versionLock(ctx context.Context, b *Bucket, id ObjectID) (lockState, error) {
	var st lockState
	err := s.st.View(ctx, func(tx store.Tx) error {
		vid, err := resolveVersion(ctx, tx, b, id)
		if err != nil {
			return err
		}
		var found bool
		st, found, err = readLock(ctx, tx, b.Name, id.Key, vid)
		if err == nil && !found {
			err = wrap(ErrNoSuchVersion, "The specified version does not exist.")
		}
		return err
	})
	return st, err
}
