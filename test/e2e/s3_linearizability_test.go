package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

// linKind is an operation on one S3 key.
type linKind int

const (
	linPut linKind = iota
	linGet
	linDelete
)

// linInput is an operation's input: PUT carries the value written.
type linInput struct {
	kind  linKind
	key   string
	value string
}

// linOutput is what a GET read: a value, linAbsent, or a body that is no
// value ever written ("corrupt(...)"), which no state explains.
type linOutput struct{ value string }

const linAbsent = "absent"

// linModel is a register per key: GET returns the last PUT's value, or
// absent initially and after a DELETE. Keys are independent, so the
// history is checked one key at a time.
var linModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(linInput).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return linAbsent },
	Step: func(state, input, output any) (bool, any) {
		in := input.(linInput)
		switch in.kind {
		case linPut:
			return true, in.value
		case linDelete:
			return true, linAbsent
		default:
			return output.(linOutput).value == state.(string), state
		}
	},
	DescribeOperation: func(input, output any) string {
		in := input.(linInput)
		switch in.kind {
		case linPut:
			return fmt.Sprintf("put(%s, %s)", in.key, in.value)
		case linDelete:
			return fmt.Sprintf("delete(%s)", in.key)
		default:
			return fmt.Sprintf("get(%s) -> %s", in.key, output.(linOutput).value)
		}
	},
	DescribeState: func(state any) string { return state.(string) },
}

// linBody is the body of value v: its name, then filler, at a size chosen
// by the value so that some PUTs stay inline in the metadata row (up to
// 4 KiB) and others go to the engine, one of them across a block boundary.
func linBody(v int) []byte {
	size := [...]int{100, 4 << 10, 4<<10 + 1, 256<<10 + 1}[v%4]
	unit := fmt.Sprintf("<%d>", v)
	b := bytes.Repeat([]byte(unit), size/len(unit)+1)[:size]
	copy(b, fmt.Sprintf("v%d;", v))
	return b
}

// linValue names the value a GET body holds, or describes it as corrupt
// when the body is not exactly one value's body.
func linValue(body []byte) string {
	name, _, ok := bytes.Cut(body, []byte(";"))
	if v, err := strconv.Atoi(strings.TrimPrefix(string(name), "v")); ok && err == nil && v >= 0 && bytes.Equal(body, linBody(v)) {
		return "v" + strconv.Itoa(v)
	}
	return fmt.Sprintf("corrupt(%d bytes, %q...)", len(body), body[:min(len(body), 16)])
}

// TestS3Linearizable runs concurrent PUTs, GETs and DELETEs on a few keys
// and checks with porcupine that the history is linearizable per key: every
// GET returns the value of the latest PUT (or absent after a DELETE) in
// some order of the operations consistent with their real-time order.
func TestS3Linearizable(t *testing.T) {
	const (
		clients       = 8
		opsPerClient  = 40
		keyCount      = 4
		checkDeadline = 30 * time.Second
	)
	r := harness.Start(t)
	ctx := context.Background()
	c := s3Client(r.AWSConfig())
	bucket := aws.String("e2e-linearizable")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)

	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	var mu sync.Mutex
	var history []porcupine.Operation
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for client := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(client)))
			for i := range opsPerClient {
				in := linInput{key: fmt.Sprintf("reg-%d", rng.IntN(keyCount))}
				switch n := rng.IntN(100); {
				case n < 40:
					in.kind, in.value = linPut, "v"+strconv.Itoa(client*opsPerClient+i)
				case n < 85:
					in.kind = linGet
				default:
					in.kind = linDelete
				}
				call := now()
				out, err := linDo(ctx, c, bucket, in)
				ret := now()
				if err != nil {
					errs <- fmt.Errorf("client %d: %s: %w", client, linModel.DescribeOperation(in, linOutput{"?"}), err)
					return
				}
				mu.Lock()
				history = append(history, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err) // a failed operation's effect is unknown: do not check a partial history
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d operations on %d keys in %s", len(history), keyCount, time.Since(start).Round(time.Millisecond))

	res, info := porcupine.CheckOperationsVerbose(linModel, history, checkDeadline)
	switch res {
	case porcupine.Ok:
	case porcupine.Illegal:
		path := filepath.Join(t.ArtifactDir(), "linearizability.html")
		if err := porcupine.VisualizePath(linModel, info, path); err != nil {
			t.Errorf("write visualization: %v", err)
		}
		t.Fatalf("S3 history of %d operations is not linearizable (seed %d); visualization: %s (kept with go test -artifacts)", len(history), seed, path)
	default:
		t.Fatalf("porcupine could not decide within %s (%s)", checkDeadline, res)
	}
}

func linDo(ctx context.Context, c *s3.Client, bucket *string, in linInput) (linOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	key := aws.String(in.key)
	switch in.kind {
	case linPut:
		v, _ := strconv.Atoi(strings.TrimPrefix(in.value, "v"))
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: key, Body: bytes.NewReader(linBody(v))})
		return linOutput{}, err
	case linDelete:
		_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: key})
		return linOutput{}, err
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: key})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return linOutput{linAbsent}, nil
		}
		return linOutput{}, err
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		return linOutput{}, err
	}
	return linOutput{linValue(body)}, nil
}

// TestS3LinearizableModel checks the checker: hand-built histories that are
// not linearizable must be reported Illegal, so TestS3Linearizable can fail.
func TestS3LinearizableModel(t *testing.T) {
	op := func(client int, kind linKind, key, value string, call, ret int64) porcupine.Operation {
		in := linInput{kind: kind, key: key}
		var out linOutput
		if kind == linGet {
			out.value = value
		} else {
			in.value = value
		}
		return porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret}
	}
	tests := []struct {
		name    string
		history []porcupine.Operation
		want    porcupine.CheckResult
	}{
		{"read before the write was called", []porcupine.Operation{
			op(0, linGet, "a", "v1", 0, 5),
			op(1, linPut, "a", "v1", 10, 20),
		}, porcupine.Illegal},
		{"stale read after a delete returned", []porcupine.Operation{
			op(0, linPut, "a", "v1", 0, 1),
			op(0, linDelete, "a", "", 2, 3),
			op(1, linGet, "a", "v1", 4, 5),
		}, porcupine.Illegal},
		{"read goes back to an older value", []porcupine.Operation{
			op(0, linPut, "a", "v1", 0, 1),
			op(0, linPut, "a", "v2", 2, 3),
			op(1, linGet, "a", "v2", 4, 5),
			op(2, linGet, "a", "v1", 6, 7),
		}, porcupine.Illegal},
		{"torn body", []porcupine.Operation{
			op(0, linPut, "a", "v1", 0, 1),
			op(1, linGet, "a", linValue(linBody(3)[:1000]), 2, 3),
		}, porcupine.Illegal},
		{"another key's value", []porcupine.Operation{
			op(0, linPut, "a", "v1", 0, 1),
			op(1, linGet, "b", "v1", 2, 3),
		}, porcupine.Illegal},
		{"read concurrent with the write", []porcupine.Operation{
			op(0, linPut, "a", "v1", 0, 10),
			op(1, linGet, "a", "v1", 1, 2),
			op(2, linGet, "a", linAbsent, 3, 4),
		}, porcupine.Illegal}, // once v1 was read, absent cannot follow
		{"legal interleaving", []porcupine.Operation{
			op(0, linPut, "a", "v1", 0, 10),
			op(1, linGet, "a", linAbsent, 1, 2),
			op(2, linGet, "a", "v1", 3, 4),
			op(1, linDelete, "a", "", 5, 12),
			op(2, linGet, "a", "v1", 6, 7),
			op(3, linGet, "b", linAbsent, 0, 20),
			op(2, linGet, "a", linAbsent, 13, 14),
		}, porcupine.Ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := porcupine.CheckOperationsTimeout(linModel, tt.history, 10*time.Second); got != tt.want {
				t.Fatalf("porcupine says %s, want %s", got, tt.want)
			}
		})
	}
	if got := linValue(linBody(7)); got != "v7" {
		t.Fatalf("linValue(linBody(7)) = %s", got)
	}
}
