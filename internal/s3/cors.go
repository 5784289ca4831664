package s3

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// A bucket's CORS configuration is stored as JSON in its row
// (s3_buckets.cors, "" when it has none). It is read without
// authorization to answer preflight requests and to add CORS headers to
// actual requests, as S3 does: browsers send preflights unsigned.

// MaxCORSRules is the most rules one configuration may hold, as S3.
const MaxCORSRules = 100

// MaxCORSConfig is the largest CORS configuration document S3 accepts (64 KB).
const MaxCORSConfig = 64 << 10

// CORSRule is one rule of a bucket's CORS configuration.
type CORSRule struct {
	ID             string   `json:"id,omitempty"`
	AllowedOrigins []string `json:"origins"`
	AllowedMethods []string `json:"methods"`
	AllowedHeaders []string `json:"headers,omitempty"`
	ExposeHeaders  []string `json:"expose,omitempty"`
	MaxAgeSeconds  *int     `json:"max_age,omitempty"`
}

// corsMethods are the methods a rule may allow.
var corsMethods = map[string]bool{"GET": true, "PUT": true, "POST": true, "DELETE": true, "HEAD": true}

// CheckCORS validates a configuration as S3 does: MalformedXML for what
// its schema rejects (no rule, a rule without an origin or a method) and
// InvalidRequest, with S3's messages, for the rest.
func CheckCORS(rules []CORSRule) error {
	if len(rules) == 0 {
		return wrap(ErrMalformedXML, "no CORSRule")
	}
	if len(rules) > MaxCORSRules {
		return wrap(ErrInvalidRequest, fmt.Sprintf("The number of CORS rules should not exceed allowed limit of %d rules.", MaxCORSRules))
	}
	for _, r := range rules {
		if len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 {
			return wrap(ErrMalformedXML, "CORSRule without AllowedOrigin or AllowedMethod")
		}
		if len(r.ID) > 255 {
			return wrap(ErrInvalidArgument, "The ID of a CORS rule must be no longer than 255 characters")
		}
		for _, m := range r.AllowedMethods {
			if !corsMethods[m] {
				return wrap(ErrInvalidRequest, "Found unsupported HTTP method in CORS config. Unsupported method is "+m)
			}
		}
		for _, o := range r.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return wrap(ErrInvalidRequest, `AllowedOrigin "`+o+`" can not have more than one wildcard.`)
			}
		}
		for _, h := range r.AllowedHeaders {
			if strings.Count(h, "*") > 1 {
				return wrap(ErrInvalidRequest, `AllowedHeader "`+h+`" can not have more than one wildcard.`)
			}
		}
		if r.MaxAgeSeconds != nil && *r.MaxAgeSeconds < 0 {
			return wrap(ErrMalformedXML, "negative MaxAgeSeconds")
		}
	}
	return nil
}

// MatchCORS returns the first rule that allows origin, method and every
// one of headers, or nil. Origins compare case-sensitively (an origin is
// a serialized scheme://host:port, which browsers send lower-cased) and
// methods exactly; headers compare case-insensitively. A pattern may hold
// one '*', matching any run of characters (possibly empty).
func MatchCORS(rules []CORSRule, origin, method string, headers []string) *CORSRule {
	for i := range rules {
		r := &rules[i]
		if !anyMatch(r.AllowedOrigins, origin, false) || !contains(r.AllowedMethods, method) {
			continue
		}
		ok := true
		for _, h := range headers {
			if !anyMatch(r.AllowedHeaders, h, true) {
				ok = false
				break
			}
		}
		if ok {
			return r
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		if wildcardMatch(p, s) {
			return true
		}
	}
	return false
}

// wildcardMatch matches s against a pattern with at most one '*'.
func wildcardMatch(p, s string) bool {
	pre, suf, ok := strings.Cut(p, "*")
	if !ok {
		return p == s
	}
	return len(s) >= len(pre)+len(suf) && strings.HasPrefix(s, pre) && strings.HasSuffix(s, suf)
}

// PutBucketCors replaces a bucket's CORS configuration after validating it
// (CheckCORS); it is authorized as s3:PutBucketCORS.
func (s *Service) PutBucketCors(ctx context.Context, bucket string, rules []CORSRule) error {
	b, err := s.Bucket(ctx, bucket, "s3:PutBucketCORS")
	if err != nil {
		return err
	}
	if err := CheckCORS(rules); err != nil {
		return err
	}
	doc, err := json.Marshal(rules)
	if err != nil {
		return err
	}
	return s.setCORS(ctx, b, string(doc))
}

// GetBucketCors returns a bucket's CORS rules as they were put
// (NoSuchCORSConfiguration when it has none); it is authorized as
// s3:GetBucketCORS.
func (s *Service) GetBucketCors(ctx context.Context, bucket string) ([]CORSRule, error) {
	if _, err := s.Bucket(ctx, bucket, "s3:GetBucketCORS"); err != nil {
		return nil, err
	}
	rules, err := s.BucketCORS(ctx, bucket)
	if err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		return nil, wrap(ErrNoSuchCORSConfiguration, "The CORS configuration does not exist")
	}
	return rules, nil
}

// DeleteBucketCors removes a bucket's CORS configuration; removing none
// succeeds. S3 authorizes it as s3:PutBucketCORS.
func (s *Service) DeleteBucketCors(ctx context.Context, bucket string) error {
	b, err := s.Bucket(ctx, bucket, "s3:PutBucketCORS")
	if err != nil {
		return err
	}
	return s.setCORS(ctx, b, "")
}

func (s *Service) setCORS(ctx context.Context, b *Bucket, doc string) error {
	return s.st.Update(ctx, func(tx store.Tx) error {
		if _, err := sameBucket(ctx, tx, b); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE s3_buckets SET cors = ? WHERE name = ?`, doc, b.Name)
		return err
	})
}

// BucketCORS returns a bucket's CORS rules (nil when it has none) WITHOUT
// authorizing anything: it serves preflights and the CORS headers of
// actual requests, which S3 answers for any caller. NoSuchBucket when the
// bucket does not exist.
func (s *Service) BucketCORS(ctx context.Context, bucket string) ([]CORSRule, error) {
	if err := CheckBucketName(bucket); err != nil {
		return nil, err
	}
	var doc string
	err := s.st.View(ctx, func(tx store.Tx) error {
		err := tx.QueryRow(ctx, `SELECT cors FROM s3_buckets WHERE name = ?`, bucket).Scan(&doc)
		if errorsIs(err, store.ErrNotFound) {
			return noSuchBucket()
		}
		return err
	})
	if err != nil || doc == "" {
		return nil, err
	}
	var rules []CORSRule
	if err := json.Unmarshal([]byte(doc), &rules); err != nil {
		return nil, fmt.Errorf("bucket %s: stored CORS configuration: %w", bucket, err)
	}
	return rules, nil
}

// Preflight answers a CORS preflight for bucket: the first rule allowing
// origin, method and headers, or ErrCORSForbidden with S3's message when
// the bucket has no configuration, does not exist or no rule matches.
func (s *Service) Preflight(ctx context.Context, bucket, origin, method string, headers []string) (*CORSRule, error) {
	rules, err := s.BucketCORS(ctx, bucket)
	switch {
	case errorsIs(err, ErrNoSuchBucket) || errorsIs(err, ErrInvalidBucketName):
		return nil, wrap(ErrCORSForbidden, "CORSResponse: Bucket not found")
	case err != nil:
		return nil, err
	case len(rules) == 0:
		return nil, wrap(ErrCORSForbidden, "CORSResponse: CORS is not enabled for this bucket.")
	}
	if r := MatchCORS(rules, origin, method, headers); r != nil {
		return r, nil
	}
	return nil, wrap(ErrCORSForbidden, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
}
