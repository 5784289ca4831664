package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// MultipartOptions configures one multipart upload.
type MultipartOptions struct {
	S3Target
	Key         string
	Size        int64 // object size
	PartSize    int64
	Concurrency int // parts in flight
	// ServerPID, when set, is the server process whose resident memory
	// is sampled while the upload runs (Linux /proc).
	ServerPID int
}

// MultipartResult is the upload's outcome.
type MultipartResult struct {
	Parts     int
	Elapsed   time.Duration
	MiBPerSec float64
	// PeakRSS is the largest resident set size of ServerPID sampled during
	// the upload, and BaseRSS its size before; both 0 without ServerPID.
	PeakRSS, BaseRSS int64
}

func (r MultipartResult) String() string {
	s := fmt.Sprintf("parts=%d elapsed=%s MiB/s=%.1f", r.Parts, r.Elapsed.Round(time.Millisecond), r.MiBPerSec)
	if r.PeakRSS > 0 {
		s += fmt.Sprintf(" server_rss_before=%dMiB server_rss_peak=%dMiB", r.BaseRSS>>20, r.PeakRSS>>20)
	}
	return s
}

// Multipart uploads one object of o.Size bytes in parts of o.PartSize
// with aws-sdk-go-v2, o.Concurrency parts at a time, then completes it.
// Each worker reuses one part-sized buffer (stamped with the part number),
// so the client's memory is Concurrency x PartSize whatever the size.
func Multipart(ctx context.Context, o MultipartOptions) (MultipartResult, error) {
	if o.PartSize < 5<<20 || o.Size < 1 || o.Concurrency < 1 {
		return MultipartResult{}, errors.New("loadgen: want PartSize >= 5 MiB, Size >= 1, Concurrency >= 1")
	}
	parts := int((o.Size + o.PartSize - 1) / o.PartSize)
	if parts > 10000 {
		return MultipartResult{}, fmt.Errorf("loadgen: %d parts, S3 allows 10,000: raise the part size", parts)
	}
	client, closeIdle, err := o.client(ctx, o.Concurrency*2)
	if err != nil {
		return MultipartResult{}, err
	}
	defer closeIdle()

	var res MultipartResult
	stopSampling := func() {}
	if o.ServerPID > 0 {
		base, err := residentBytes(o.ServerPID)
		if err != nil {
			return res, err
		}
		res.BaseRSS, res.PeakRSS = base, base
		stopSampling = sampleRSS(o.ServerPID, &res.PeakRSS)
	}

	start := time.Now()
	up, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &o.Bucket, Key: &o.Key})
	if err != nil {
		stopSampling()
		return res, fmt.Errorf("create multipart upload: %w", err)
	}
	done := make([]types.CompletedPart, parts)
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range min(o.Concurrency, parts) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, o.PartSize)
			rand.Read(buf)
			for i := range next {
				n := min(o.PartSize, o.Size-int64(i)*o.PartSize)
				copy(buf, strconv.Itoa(i)) // parts differ
				out, err := client.UploadPart(ctx, &s3.UploadPartInput{Bucket: &o.Bucket, Key: &o.Key, UploadId: up.UploadId,
					PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(n)})
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("part %d: %w", i+1, err)
					}
					mu.Unlock()
					cancel()
					continue
				}
				done[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag,
					ChecksumCRC32: out.ChecksumCRC32, ChecksumCRC32C: out.ChecksumCRC32C, ChecksumCRC64NVME: out.ChecksumCRC64NVME}
			}
		}()
	}
feed:
	for i := range parts {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil {
		_, firstErr = client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &o.Bucket, Key: &o.Key,
			UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	}
	res.Elapsed = time.Since(start)
	stopSampling()
	if firstErr != nil {
		_, _ = client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: &o.Bucket, Key: &o.Key, UploadId: up.UploadId})
		return res, firstErr
	}
	res.Parts = parts
	res.MiBPerSec = float64(o.Size) / (1 << 20) / res.Elapsed.Seconds()
	return res, nil
}

// sampleRSS records pid's largest resident set size into peak every 50 ms
// until the returned function is called.
func sampleRSS(pid int, peak *int64) (stop func()) {
	quit := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if n, err := residentBytes(pid); err == nil && n > *peak {
				*peak = n
			}
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(quit); <-exited }
}

// residentBytes reads VmRSS from /proc/pid/status.
func residentBytes(pid int) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("loadgen: server memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("loadgen: VmRSS %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("loadgen: no VmRSS in /proc/%d/status", pid)
}
