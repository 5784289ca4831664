package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/s3/sse"
	"github.com/nimbuscloud/nimbus/internal/store"
)

func customerKey(t *testing.T, b byte) *sse.CustomerKey {
	t.Helper()
	raw := bytes.Repeat([]byte{b}, 32)
	sum := md5.Sum(raw)
	ck, err := sse.ParseCustomerKey("AES256", base64.StdEncoding.EncodeToString(raw), base64.StdEncoding.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	return &ck
}

// Bodies are stored sealed, in the engine and in rows alike, and read
// back (whole and by range) in plaintext.
func TestBodiesStoredEncrypted(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	big := strings.Repeat("plaintext-secret!", 12000) // ~200 KiB: several 64 KiB chunks
	small := "small-secret"
	for k, body := range map[string]string{"big": big, "small": small} {
		p, err := e.put(t, e.alice, "bk1", k, body)
		if err != nil || p.SSE != SSES3 {
			t.Fatalf("%s: %+v %v", k, p, err)
		}
	}
	for id, b := range e.blobs.objs {
		if bytes.Contains(b, []byte("secret")) || int64(len(b)) != sse.SealedSize(int64(len(big))) {
			t.Fatalf("blob %s holds plaintext or is %d bytes", id, len(b))
		}
	}
	var inline []byte
	e.s.st.View(context.Background(), func(tx store.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT inline_body FROM s3_objects WHERE object_key = 'small'`).Scan(&inline)
	})
	if bytes.Contains(inline, []byte("secret")) || len(inline) != len(small)+sse.TagSize {
		t.Fatalf("inline row %q", inline)
	}
	for _, r := range []Range{{First: 0, Last: -1}, {First: 65530, Last: 65545}, {First: 131071, Last: 131072}, {First: -1, Last: -1, Suffix: 7}} {
		got, _, err := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "big", Range: &r})
		start, n, _ := r.resolve(int64(len(big)))
		if err != nil || got != big[start:start+n] {
			t.Fatalf("range %+v: %d bytes %v", r, len(got), err)
		}
	}
	if got, _, err := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "small"}); err != nil || got != small {
		t.Fatalf("small: %q %v", got, err)
	}
	// The scrubber's inline check decrypts before it verifies.
	if checked, corrupt, err := e.s.VerifyInline(context.Background()); err != nil || checked != 1 || corrupt != 0 {
		t.Fatalf("VerifyInline %d %d %v", checked, corrupt, err)
	}
	// A flipped ciphertext byte is caught, not served.
	e.s.st.Update(context.Background(), func(tx store.Tx) error {
		inline[0] ^= 1
		_, err := tx.Exec(context.Background(), `UPDATE s3_objects SET inline_body = ? WHERE object_key = 'small'`, inline)
		return err
	})
	if _, _, err := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "small"}); err == nil {
		t.Fatal("tampered inline body served")
	}
}

func TestCustomerKeys(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	ck, other := customerKey(t, 1), customerKey(t, 2)
	body := strings.Repeat("c", 70000)
	p, err := e.put(t, e.alice, "bk1", "k", body, func(in *PutInput) { in.CustomerKey = ck })
	if err != nil || p.SSE != SSEC || p.SSECustomerKeyMD5 != ck.KeyMD5() {
		t.Fatalf("put: %+v %v", p, err)
	}
	_, _, err = e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "k"})
	mustCode(t, err, ErrInvalidRequest)
	_, err = e.s.GetObject(e.alice, GetInput{Bucket: "bk1", Key: "k", Head: true})
	mustCode(t, err, ErrInvalidRequest)
	_, _, err = e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "k", CustomerKey: other})
	mustCode(t, err, ErrAccessDenied)
	got, o, err := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "k", CustomerKey: ck})
	if err != nil || got != body || o.SSECustomerKeyMD5 != ck.KeyMD5() {
		t.Fatalf("get with key: %d bytes %v", len(got), err)
	}
	// Copy: the source needs its key; the copy may get another (or SSE-S3).
	_, err = e.s.CopyObject(e.alice, CopyInput{SrcBucket: "bk1", SrcKey: "k", Bucket: "bk1", Key: "c"})
	mustCode(t, err, ErrInvalidRequest)
	if _, err := e.s.CopyObject(e.alice, CopyInput{SrcBucket: "bk1", SrcKey: "k", Bucket: "bk1", Key: "c", SourceCustomerKey: ck, CustomerKey: other}); err != nil {
		t.Fatal(err)
	}
	if got, _, err := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "c", CustomerKey: other}); err != nil || got != body {
		t.Fatalf("copy read: %v", err)
	}
	// A key sent for an SSE-S3 object is refused.
	e.put(t, e.alice, "bk1", "plain", "x")
	_, _, err = e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "plain", CustomerKey: ck})
	mustCode(t, err, ErrInvalidRequest)
}
