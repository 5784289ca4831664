package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Target is the region and bucket an S3 load runs against.
type S3Target struct {
	Endpoint  string
	Region    string
	AccessKey string
	SecretKey string
	Bucket    string // created if missing
}

// client returns an aws-sdk-go-v2 S3 client (path style, no retries) with
// room for conns idle connections, after making sure the bucket exists;
// the caller calls done when finished.
func (t S3Target) client(ctx context.Context, conns int) (c *s3.Client, done func(), err error) {
	transport := &http.Transport{MaxIdleConnsPerHost: conns, MaxIdleConns: conns}
	c = s3.NewFromConfig(aws.Config{
		Region:           t.Region,
		Credentials:      credentials.NewStaticCredentialsProvider(t.AccessKey, t.SecretKey, ""),
		BaseEndpoint:     aws.String(t.Endpoint),
		HTTPClient:       &http.Client{Transport: transport},
		RetryMaxAttempts: 1,
	}, func(opt *s3.Options) { opt.UsePathStyle = true })
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &t.Bucket}); err != nil {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &t.Bucket}); err != nil {
			transport.CloseIdleConnections()
			return nil, nil, fmt.Errorf("create bucket %s: %w", t.Bucket, err)
		}
	}
	return c, transport.CloseIdleConnections, nil
}

// S3Options configures an S3 run.
type S3Options struct {
	S3Target
	Concurrency int
	Duration    time.Duration
	Size        int64 // object size
	Keys        int   // distinct keys written and then read
}

// S3Result is one phase's outcome.
type S3Result struct {
	Phase      string
	Ops        int
	Errors     int
	Elapsed    time.Duration
	OpsPerSec  float64
	MiBPerSec  float64
	P50, P99   time.Duration
	FirstError string
}

func (r S3Result) String() string {
	s := fmt.Sprintf("%s: ops=%d errors=%d elapsed=%s ops/s=%.0f MiB/s=%.1f p50=%dus p99=%dus",
		r.Phase, r.Ops, r.Errors, r.Elapsed.Round(time.Millisecond), r.OpsPerSec, r.MiBPerSec, r.P50.Microseconds(), r.P99.Microseconds())
	if r.FirstError != "" {
		s += " first_error=" + r.FirstError
	}
	return s
}

// S3 runs a PUT phase then a GET phase of objects of o.Size bytes with
// aws-sdk-go-v2 (as real clients send them: checksums on).
func S3(ctx context.Context, o S3Options) ([]S3Result, error) {
	client, done, err := o.client(ctx, o.Concurrency*2)
	if err != nil {
		return nil, err
	}
	defer done()
	if o.Keys <= 0 {
		o.Keys = 1024
	}
	body := make([]byte, o.Size)
	rand.Read(body)
	key := func(i int) string { return fmt.Sprintf("bench/%d-%d", o.Size, i%o.Keys) }

	var (
		mu     sync.Mutex
		stored []string // keys whose PUT succeeded
	)
	put := run(ctx, "PUT", o, func(ctx context.Context, i int) error {
		_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: &o.Bucket, Key: aws.String(key(i)),
			Body: bytes.NewReader(body), ContentLength: aws.Int64(o.Size)})
		if err == nil {
			mu.Lock()
			stored = append(stored, key(i))
			mu.Unlock()
		}
		return err
	})
	if len(stored) == 0 {
		return []S3Result{put}, nil
	}
	get := run(ctx, "GET", o, func(ctx context.Context, i int) error {
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &o.Bucket, Key: aws.String(stored[i%len(stored)])})
		if err != nil {
			return err
		}
		n, err := io.Copy(io.Discard, out.Body)
		out.Body.Close()
		if err == nil && n != o.Size {
			err = fmt.Errorf("short body %d of %d", n, o.Size)
		}
		return err
	})
	return []S3Result{put, get}, nil
}

// run drives op from o.Concurrency workers for o.Duration.
func run(ctx context.Context, phase string, o S3Options, op func(context.Context, int) error) S3Result {
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var (
		mu       sync.Mutex
		lat      []time.Duration
		errs     int
		firstErr string
		wg       sync.WaitGroup
		next     int
	)
	start := time.Now()
	for w := 0; w < o.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				t0 := time.Now()
				err := op(ctx, i)
				d := time.Since(t0)
				mu.Lock()
				switch {
				case err == nil:
					lat = append(lat, d)
				case ctx.Err() == nil:
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	slices.Sort(lat)
	r := S3Result{Phase: phase, Ops: len(lat), Errors: errs, Elapsed: el, FirstError: firstErr}
	if len(lat) > 0 {
		r.OpsPerSec = float64(len(lat)) / el.Seconds()
		r.MiBPerSec = r.OpsPerSec * float64(o.Size) / (1 << 20)
		r.P50, r.P99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return r
}
