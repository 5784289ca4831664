package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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
	// Rate, when > 0, paces the workers to this many requests per second in
	// total; a request whose slot passed while the previous one was still
	// unanswered is timed from its slot, so a server that falls behind is
	// charged for the backlog (no coordinated omission). 0 means closed loop: every worker sends its
	// next request as soon as the last one is answered.
	Rate float64
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
	u, err := url.Parse(o.Endpoint)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return Result{}, fmt.Errorf("loadgen: endpoint must be http://host:port, got %q", o.Endpoint)
	}
	// Pre-serialise signed HTTP/1.1 requests: the workers only write bytes
	// and parse status lines, so the generator's CPU stays small next to
	// the server's on a shared machine.
	pool := make([][]byte, o.Pool)
	for i := range pool {
		req, err := http.NewRequest(http.MethodPost, o.Endpoint+"/", strings.NewReader(body))
		if err != nil {
			return Result{}, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		at := time.Now().Add(-time.Duration(i) * time.Millisecond) // distinct signatures
		if err := signer.SignHTTP(ctx, creds, req, hash, "sts", o.Region, at); err != nil {
			return Result{}, err
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", u.Host, len(body))
		for k, vs := range req.Header {
			for _, v := range vs {
				fmt.Fprintf(&b, "%s: %s\r\n", k, v)
			}
		}
		b.WriteString("\r\n")
		b.WriteString(body)
		pool[i] = b.Bytes()
	}

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
			var interval time.Duration
			if o.Rate > 0 {
				interval = time.Duration(float64(o.Concurrency) / o.Rate * float64(time.Second))
			}
			offset := interval * time.Duration(w) / time.Duration(o.Concurrency) // stagger paced workers
			lat, nerr, ferr := worker(ctx, u.Host, pool, w, interval, offset)
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

// worker sends requests over one keep-alive connection until ctx ends,
// reconnecting after errors.
func worker(ctx context.Context, host string, pool [][]byte, w int, interval, offset time.Duration) ([]time.Duration, int, string) {
	lat := make([]time.Duration, 0, 1<<14)
	nerr, ferr := 0, ""
	fail := func(err string) {
		nerr++
		if ferr == "" {
			ferr = err
		}
	}
	var conn net.Conn
	var br *bufio.Reader
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	next := time.Now().Add(offset)
	for i := w; ctx.Err() == nil; i++ {
		// behind: the previous answer came after this request's slot, so the
		// server's backlog is charged to this request (no coordinated
		// omission); otherwise the clock starts when the request is sent,
		// so the generator's own wake-up jitter is not counted.
		behind := false
		scheduled := next
		if interval > 0 {
			if d := time.Until(next); d > 0 {
				time.Sleep(d)
			} else {
				behind = true
			}
			next = next.Add(interval)
		}
		if conn == nil {
			c, err := net.DialTimeout("tcp", host, 5*time.Second)
			if err != nil {
				fail(err.Error())
				time.Sleep(10 * time.Millisecond)
				continue
			}
			conn, br = c, bufio.NewReaderSize(c, 8192)
		}
		deadline, _ := ctx.Deadline()
		conn.SetDeadline(deadline.Add(5 * time.Second))
		t0 := time.Now()
		if behind {
			t0 = scheduled
		}
		if _, err := conn.Write(pool[i%len(pool)]); err != nil {
			fail(err.Error())
			conn.Close()
			conn = nil
			continue
		}
		status, err := readResponse(br)
		if err != nil {
			if ctx.Err() == nil {
				fail(err.Error())
			}
			conn.Close()
			conn = nil
			continue
		}
		lat = append(lat, time.Since(t0))
		if status != 200 {
			fail("HTTP " + strconv.Itoa(status))
		}
	}
	return lat, nerr, ferr
}

// readResponse reads one HTTP/1.1 response with a Content-Length body and
// returns its status.
func readResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length := -1
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok && strings.EqualFold(string(k), "Content-Length") {
			length, err = strconv.Atoi(string(bytes.TrimSpace(v)))
			if err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if length < 0 {
		return 0, fmt.Errorf("response without Content-Length")
	}
	if _, err := br.Discard(length); err != nil {
		return 0, err
	}
	return status, nil
}
