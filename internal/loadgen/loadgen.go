package loadgen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Options configures a run.
type Options struct {
	Endpoint    string // http://127.0.0.1:4566
	Region      string
	AccessKey   string
	SecretKey   string
	Concurrency int
	Duration    time.Duration
	Pool        int // distinct pre-signed requests
}

// Result summarises a run.
type Result struct {
	Requests  int
	Errors    int
	Elapsed   time.Duration
	PerSecond float64
	P50, P90  time.Duration
	P99, Max  time.Duration
	FirstErr  string
}

func (r Result) String() string {
	s := fmt.Sprintf("requests=%d errors=%d elapsed=%s rps=%.0f p50=%dus p90=%dus p99=%dus max=%dus",
		r.Requests, r.Errors, r.Elapsed.Round(time.Millisecond), r.PerSecond,
		r.P50.Microseconds(), r.P90.Microseconds(), r.P99.Microseconds(), r.Max.Microseconds())
	if r.FirstErr != "" {
		s += " first_error=" + r.FirstErr
	}
	return s
}

type signed struct {
	header http.Header
	body   string
}

// GetCallerIdentity load-tests sts:GetCallerIdentity.
func GetCallerIdentity(ctx context.Context, o Options) (Result, error) {
	body := "Action=GetCallerIdentity&Version=2011-06-15"
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	signer := v4.NewSigner()
	creds := aws.Credentials{AccessKeyID: o.AccessKey, SecretAccessKey: o.SecretKey}
	if o.Pool <= 0 {
		o.Pool = 256
	}
	pool := make([]signed, o.Pool)
	for i := range pool {
		req, err := http.NewRequest(http.MethodPost, o.Endpoint+"/", strings.NewReader(body))
		if err != nil {
			return Result{}, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		req.Header.Set("X-Amz-Content-Sha256", hash)
		// distinct signing times give distinct signatures
		at := time.Now().Add(-time.Duration(i) * time.Millisecond)
		if err := signer.SignHTTP(ctx, creds, req, hash, "sts", o.Region, at); err != nil {
			return Result{}, err
		}
		pool[i] = signed{header: req.Header.Clone(), body: body}
	}

	transport := &http.Transport{
		MaxIdleConns:        o.Concurrency * 2,
		MaxIdleConnsPerHost: o.Concurrency * 2,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}

	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var (
		mu       sync.Mutex
		all      []time.Duration
		errs     int
		firstErr string
		wg       sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < o.Concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<14)
			nerr, ferr := 0, ""
			for i := w; ctx.Err() == nil; i++ {
				p := pool[i%len(pool)]
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, o.Endpoint+"/", strings.NewReader(p.body))
				req.Header = p.header.Clone()
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					nerr++
					if ferr == "" {
						ferr = err.Error()
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					nerr++
					if ferr == "" {
						ferr = resp.Status
					}
				}
			}
			mu.Lock()
			all = append(all, lat...)
			errs += nerr
			if firstErr == "" {
				firstErr = ferr
			}
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(all)
	res := Result{Requests: len(all), Errors: errs, Elapsed: elapsed, FirstErr: firstErr}
	if len(all) > 0 {
		res.PerSecond = float64(len(all)) / elapsed.Seconds()
		q := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
		res.P50, res.P90, res.P99, res.Max = q(0.50), q(0.90), q(0.99), all[len(all)-1]
	}
	return res, nil
}
