package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

// Crash test parameters: crashOps operations over crashWorkers workers, each
// owning crashKeysPerWorker keys, and a SIGKILL after crashKillAfter acks.
const (
	crashWorkers       = 32
	crashKeysPerWorker = 12
	crashOps           = 1000
	crashKillAfter     = 400
	// crashInlineMax is the S3 service's inline threshold (s3.DefaultInlineMax):
	// bodies up to it live in the metadata row, larger ones in the engine.
	crashInlineMax = 4 << 10
	// crashReplicas is the STANDARD layout of a three-AZ region
	// (layout.DefaultReplicas): every engine object is this many shard files.
	crashReplicas = 3
)

// crashSizes mixes inline (100 B, 3 KiB) and engine-stored (64 KiB, 1 MiB)
// bodies; the weights keep the run short on a small machine.
var crashSizes = []struct{ size, weight int }{{100, 30}, {3 << 10, 25}, {64 << 10, 30}, {1 << 20, 15}}

// crashResult is the state of a key after an operation: absent, or the body
// of write seq.
type crashResult struct {
	present   bool
	seq, size int
}

func (r crashResult) String() string {
	if !r.present {
		return "absent"
	}
	return fmt.Sprintf("write #%d (%d bytes)", r.seq, r.size)
}

// crashOp is a PUT (of body (key, seq) of size bytes) or a DELETE.
type crashOp struct {
	key       string
	del       bool
	seq, size int
}

func (o crashOp) result() crashResult {
	if o.del {
		return crashResult{}
	}
	return crashResult{present: true, seq: o.seq, size: o.size}
}

// crashKey is what the client knows about one key: the result of its last
// acknowledged operation and the operation in flight when the server died.
// Only the key's owning worker touches it until the workers are done.
type crashKey struct {
	acked    crashResult
	inflight *crashOp
}

// crashBody is the body of write seq to key: a header naming both, then
// bytes drawn from a generator seeded by them, so any two writes differ and
// a truncated or mixed body never matches.
func crashBody(key string, seq, size int) []byte {
	h := fnv.New64a()
	h.Write([]byte(key))
	rng := rand.New(rand.NewPCG(h.Sum64(), uint64(seq)))
	b := make([]byte, size+8)
	for i := 0; i < size; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
	}
	b = b[:size]
	copy(b, fmt.Sprintf("%s#%d#", key, seq))
	return b
}

// TestS3CrashKill9 kills the server with SIGKILL in the middle of concurrent
// PUTs, overwrites and DELETEs, restarts it on the same data dir and checks
// that every key holds what its last acknowledged operation left, or what
// the operation in flight at the kill would have left, and nothing else.
// The rest of the operations then run on the recovered state, and a restart
// with a short scrub delay and orphan grace checks that the scrubber
// removes every shard and temp file no object references, and nothing else.
func TestS3CrashKill9(t *testing.T) {
	dataDir := t.TempDir()
	r := harness.Start(t, harness.WithDataDir(dataDir))
	start := time.Now()
	ctx := context.Background()
	c := s3Client(r.AWSConfig())
	bucket := "e2e-crash"
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("schedule seed %d", seed)
	wl := newCrashWorkload(seed)

	// Up to the kill.
	var killedAt time.Time
	acks, errs := wl.run(ctx, c, bucket, crashKillAfter, func() { killedAt = time.Now(); r.Kill(t) })
	for _, err := range errs {
		t.Error(err)
	}
	if killedAt.IsZero() {
		t.Fatalf("the server was never killed: %d acks", acks)
	}
	inflight := 0
	for _, st := range wl.keys {
		if st.inflight != nil {
			inflight++
		}
	}
	t.Logf("killed after %d acks (%s into the workload), %d operations in flight", acks, killedAt.Sub(start).Round(time.Millisecond), inflight)
	if t.Failed() {
		t.FailNow()
	}

	// Restart as is (the first scrub is minutes away): every key must read
	// back as its acknowledged or its in-flight result.
	r.Restart(t)
	c = s3Client(r.AWSConfig())
	live := verifyCrashState(t, c, bucket, wl.keys)
	shards, temps := crashFiles(t, dataDir)
	t.Logf("after the crash: %d live objects, %d in the engine; %d shard files of %d objects, %d temp files",
		len(live), crashEngineObjects(live), crashCountShards(shards), len(shards), len(temps))
	if t.Failed() {
		t.FailNow()
	}

	// The rest of the operations, on top of what the crash left.
	for k, st := range wl.keys {
		st.acked, st.inflight = live[k], nil
	}
	more, errs := wl.run(ctx, c, bucket, 0, nil)
	for _, err := range errs {
		t.Error(err)
	}
	live = verifyCrashState(t, c, bucket, wl.keys)
	t.Logf("%d more operations after the restart: %d live objects, %d in the engine", more, len(live), crashEngineObjects(live))
	if t.Failed() {
		t.FailNow()
	}

	// Restart with a scrub a second after start and a one-second grace:
	// every orphan and temp file is older than that by then.
	r.Stop(t)
	r.Args = append(r.Args, "--storage-scrub-delay", "1s", "--storage-orphan-grace", "1s")
	r.Restart(t)
	restarted := time.Now()
	waitScrub(t, r)
	m := scrapeMetrics(t, r)
	t.Logf("restarted %s in; scrub done %s later: orphans_removed %v, temps_removed %v, heals_done %v, missing_found %v",
		restarted.Sub(start).Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond),
		m["nimbus_storage_orphans_removed_total"], m["nimbus_storage_temps_removed_total"],
		m["nimbus_storage_heals_done_total"], m["nimbus_storage_missing_found_total"])
	shards, temps = crashFiles(t, dataDir)
	if len(temps) > 0 {
		t.Errorf("%d temp files left after the scrub, e.g. %s", len(temps), temps[0])
	}
	engineLive := crashEngineObjects(live)
	if len(shards) != engineLive {
		t.Errorf("after the scrub %d objects have shard files, want %d (the live engine-stored objects)", len(shards), engineLive)
	}
	want := make([]int, crashReplicas)
	for i := range want {
		want[i] = i
	}
	for id, idx := range shards {
		if !slices.Equal(idx, want) {
			t.Errorf("object %s has shards %v, want %v", id, idx, want)
		}
	}
	if got := crashCountShards(shards); got != crashReplicas*engineLive {
		t.Errorf("after the scrub %d shard files, want %d (%d engine objects x %d replicas)", got, crashReplicas*engineLive, engineLive, crashReplicas)
	}
	// The scrub must not have touched a live object.
	c = s3Client(r.AWSConfig())
	if again := verifyCrashState(t, c, bucket, wl.keys); !maps.Equal(again, live) {
		t.Errorf("the scrub changed what the keys hold")
	}
	t.Logf("took %s after the first start", time.Since(start).Round(time.Millisecond))
}

// crashWorkload is crashOps operations spread over crashWorkers workers;
// each worker owns crashKeysPerWorker keys and runs their operations in
// order, so at most one operation per key is ever in flight.
type crashWorkload struct {
	keys     map[string]*crashKey
	schedule [][]crashOp // per worker
	next     []int       // per worker: the first operation not yet issued
}

func newCrashWorkload(seed uint64) *crashWorkload {
	rng := rand.New(rand.NewPCG(seed, 0))
	wl := &crashWorkload{keys: map[string]*crashKey{}, schedule: make([][]crashOp, crashWorkers), next: make([]int, crashWorkers)}
	owned := make([][]string, crashWorkers)
	for w := range crashWorkers {
		for i := range crashKeysPerWorker {
			k := fmt.Sprintf("w%02d/key-%02d", w, i)
			wl.keys[k] = &crashKey{}
			owned[w] = append(owned[w], k)
		}
	}
	for seq := range crashOps {
		w := seq % crashWorkers
		op := crashOp{key: owned[w][rng.IntN(crashKeysPerWorker)], seq: seq}
		if rng.IntN(10) < 3 {
			op.del = true
		} else {
			op.size = crashPickSize(rng)
		}
		wl.schedule[w] = append(wl.schedule[w], op)
	}
	return wl
}

// run issues the operations not yet issued and records each key's
// acknowledged and in-flight operation. When killAfter > 0, the
// killAfter-th acknowledgement calls kill; a worker then stops at its next
// operation or error, and an operation that failed after the kill stays in
// flight: it may or may not have happened. Any other error is returned.
func (wl *crashWorkload) run(ctx context.Context, c *s3.Client, bucket string, killAfter int64, kill func()) (int64, []error) {
	var acks atomic.Int64
	var killed atomic.Bool
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for w := range crashWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ; wl.next[w] < len(wl.schedule[w]) && !killed.Load(); wl.next[w]++ {
				op := wl.schedule[w][wl.next[w]]
				st := wl.keys[op.key]
				st.inflight = &op
				if err := crashDo(ctx, c, bucket, op); err != nil {
					if !killed.Load() {
						mu.Lock()
						errs = append(errs, fmt.Errorf("%s: %w", crashOpName(op), err))
						mu.Unlock()
					}
					wl.next[w]++
					return
				}
				st.acked, st.inflight = op.result(), nil
				if acks.Add(1) == killAfter {
					killed.Store(true)
					kill()
				}
			}
		}()
	}
	wg.Wait()
	return acks.Load(), errs
}

func crashPickSize(rng *rand.Rand) int {
	total := 0
	for _, s := range crashSizes {
		total += s.weight
	}
	n := rng.IntN(total)
	for _, s := range crashSizes {
		if n < s.weight {
			return s.size
		}
		n -= s.weight
	}
	panic("unreachable")
}

func crashOpName(op crashOp) string {
	if op.del {
		return fmt.Sprintf("DELETE %s (#%d)", op.key, op.seq)
	}
	return fmt.Sprintf("PUT %s #%d (%d bytes)", op.key, op.seq, op.size)
}

func crashDo(ctx context.Context, c *s3.Client, bucket string, op crashOp) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if op.del {
		_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(op.key)})
		return err
	}
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(op.key),
		Body: bytes.NewReader(crashBody(op.key, op.seq, op.size)), ContentLength: aws.Int64(int64(op.size))})
	return err
}

// verifyCrashState reads every key and checks it against what the client
// knows, then checks that ListObjectsV2 names exactly the keys GET found.
// It returns the live keys and what they hold.
func verifyCrashState(t *testing.T, c *s3.Client, bucket string, keys map[string]*crashKey) map[string]crashResult {
	t.Helper()
	ctx := context.Background()
	type found struct {
		key string
		res crashResult
		err error
	}
	names := slices.Sorted(maps.Keys(keys))
	out := make([]found, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, k := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := readCrashKey(ctx, c, bucket, k, keys[k])
			out[i] = found{k, res, err}
		}()
	}
	wg.Wait()
	live := map[string]crashResult{}
	for _, f := range out {
		if f.err != nil {
			t.Errorf("%s: %v", f.key, f.err)
			continue
		}
		if f.res.present {
			live[f.key] = f.res
		}
	}

	listed := map[string]bool{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if listed[k] {
				t.Errorf("ListObjectsV2 lists %s twice", k)
			}
			listed[k] = true
			if res, ok := live[k]; ok && aws.ToInt64(o.Size) != int64(res.size) {
				t.Errorf("ListObjectsV2: %s has size %d, GET read %d bytes", k, aws.ToInt64(o.Size), res.size)
			}
		}
	}
	for k := range live {
		if !listed[k] {
			t.Errorf("ListObjectsV2 does not list %s, which GET reads", k)
		}
	}
	for k := range listed {
		if _, ok := live[k]; !ok {
			t.Errorf("ListObjectsV2 lists %s, which GET does not find", k)
		}
	}
	return live
}

// readCrashKey GETs key and returns which allowed result it holds, or an
// error when it holds anything else.
func readCrashKey(ctx context.Context, c *s3.Client, bucket, key string, st *crashKey) (crashResult, error) {
	allowed := []crashResult{st.acked}
	if st.inflight != nil {
		allowed = append(allowed, st.inflight.result())
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			if slices.Contains(allowed, crashResult{}) {
				return crashResult{}, nil
			}
			return crashResult{}, fmt.Errorf("NoSuchKey, want one of %v", allowed)
		}
		return crashResult{}, fmt.Errorf("GET: %w (want one of %v)", err, allowed)
	}
	body, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		return crashResult{}, fmt.Errorf("GET body after %d bytes: %w (want one of %v)", len(body), err, allowed)
	}
	for _, a := range allowed {
		if a.present && a.size == len(body) && bytes.Equal(body, crashBody(key, a.seq, a.size)) {
			return a, nil
		}
	}
	head := body[:min(len(body), len(key)+8)] // the header naming the write
	return crashResult{}, fmt.Errorf("GET read %d bytes starting %q, want one of %v", len(body), head, allowed)
}

func crashEngineObjects(live map[string]crashResult) int {
	n := 0
	for _, res := range live {
		if res.size > crashInlineMax {
			n++
		}
	}
	return n
}

var crashShardName = regexp.MustCompile(`^([0-9a-f]{32})\.([0-9]+)$`)

// crashFiles walks the engine's drives (<data-dir>/objects/<az>/<drive>/,
// shards in shards/<xx>/<object id>.<shard index>, writes in progress in
// tmp/) and returns the shard indexes found per object ID and the paths of
// temp files. Any other file fails the test.
func crashFiles(t *testing.T, dataDir string) (map[string][]int, []string) {
	t.Helper()
	root := filepath.Join(dataDir, "objects")
	shards := map[string][]int{}
	var temps []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		switch {
		case len(parts) == 4 && parts[2] == "tmp":
			temps = append(temps, rel)
		case len(parts) == 5 && parts[2] == "shards":
			m := crashShardName.FindStringSubmatch(parts[4])
			if m == nil || m[1][:2] != parts[3] {
				t.Errorf("unexpected file in a shard directory: %s", rel)
				return nil
			}
			i, _ := strconv.Atoi(m[2])
			shards[m[1]] = append(shards[m[1]], i)
		default:
			t.Errorf("unexpected file under the drives: %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, idx := range shards {
		slices.Sort(idx)
	}
	return shards, temps
}

func crashCountShards(shards map[string][]int) int {
	n := 0
	for _, idx := range shards {
		n += len(idx)
	}
	return n
}

// waitScrub waits until the server reports a finished scrub pass, in its
// metrics and in its log (copied from its stderr asynchronously).
func waitScrub(t *testing.T, r *harness.Region) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		log := r.Stderr()
		if strings.Contains(log, "scrub failed") {
			t.Fatalf("the scrub failed:\n%s", log)
		}
		if strings.Contains(log, "scrub done") && scrapeMetrics(t, r)["nimbus_storage_last_scrub_timestamp_seconds"] > 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no scrub finished within 30s of the restart\nstderr:\n%s", r.Stderr())
}

// scrapeMetrics reads the unlabelled samples of /metrics.
func scrapeMetrics(t *testing.T, r *harness.Region) map[string]float64 {
	t.Helper()
	resp, err := http.Get(r.Endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(val, 64); err == nil {
			m[name] = v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}
