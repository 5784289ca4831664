package sse

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// customerHeaders returns the base64 key and key MD5 headers for raw.
func customerHeaders(raw []byte) (key, keyMD5 string) {
	sum := md5.Sum(raw)
	return base64.StdEncoding.EncodeToString(raw), base64.StdEncoding.EncodeToString(sum[:])
}

func mustCustomerKey(t testing.TB, raw []byte) CustomerKey {
	t.Helper()
	k, m := customerHeaders(raw)
	ck, err := ParseCustomerKey("AES256", k, m)
	if err != nil {
		t.Fatal(err)
	}
	return ck
}

func TestParseCustomerKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xA5}, 32)
	key, keyMD5 := customerHeaders(raw)
	otherKey, otherMD5 := customerHeaders(bytes.Repeat([]byte{1}, 32))
	short, shortMD5 := customerHeaders(raw[:31])
	long, longMD5 := customerHeaders(append(bytes.Clone(raw), 0))
	hexMD5 := fmt.Sprintf("%x", md5.Sum(raw))

	type want struct{ code, msg string }
	tests := []struct {
		name              string
		algorithm, k, md5 string
		want              *want // nil: accepted
		none              bool  // ErrNoCustomerKey
	}{
		{name: "valid", algorithm: "AES256", k: key, md5: keyMD5},
		{name: "no headers", none: true},

		{name: "key and MD5 without algorithm", k: key, md5: keyMD5, want: &want{CodeInvalidArgument, MsgMissingAlgorithm}},
		{name: "key alone", k: key, want: &want{CodeInvalidArgument, MsgMissingAlgorithm}},
		{name: "MD5 alone", md5: keyMD5, want: &want{CodeInvalidArgument, MsgMissingAlgorithm}},

		{name: "algorithm AES128", algorithm: "AES128", k: key, md5: keyMD5, want: &want{CodeInvalidEncryptionAlgorithmError, MsgInvalidAlgorithm}},
		{name: "algorithm lower case", algorithm: "aes256", k: key, md5: keyMD5, want: &want{CodeInvalidEncryptionAlgorithmError, MsgInvalidAlgorithm}},
		{name: "algorithm aws:kms", algorithm: "aws:kms", k: key, md5: keyMD5, want: &want{CodeInvalidEncryptionAlgorithmError, MsgInvalidAlgorithm}},
		{name: "algorithm alone, wrong", algorithm: "DES", want: &want{CodeInvalidEncryptionAlgorithmError, MsgInvalidAlgorithm}},

		{name: "algorithm alone", algorithm: "AES256", want: &want{CodeInvalidArgument, MsgMissingKey}},
		{name: "algorithm and MD5 without key", algorithm: "AES256", md5: keyMD5, want: &want{CodeInvalidArgument, MsgMissingKey}},

		{name: "key not base64", algorithm: "AES256", k: "not base64!", md5: keyMD5, want: &want{CodeInvalidArgument, MsgInvalidKey}},
		{name: "key URL-safe base64", algorithm: "AES256", k: base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xFB}, 32)), md5: keyMD5, want: &want{CodeInvalidArgument, MsgInvalidKey}},
		{name: "key 31 bytes", algorithm: "AES256", k: short, md5: shortMD5, want: &want{CodeInvalidArgument, MsgInvalidKey}},
		{name: "key 33 bytes", algorithm: "AES256", k: long, md5: longMD5, want: &want{CodeInvalidArgument, MsgInvalidKey}},
		{name: "key unpadded", algorithm: "AES256", k: strings.TrimRight(key, "="), md5: keyMD5, want: &want{CodeInvalidArgument, MsgInvalidKey}},
		{name: "key huge", algorithm: "AES256", k: strings.Repeat("A", 1<<20), md5: keyMD5, want: &want{CodeInvalidArgument, MsgInvalidKey}},
		{name: "key raw bytes", algorithm: "AES256", k: string(raw), md5: keyMD5, want: &want{CodeInvalidArgument, MsgInvalidKey}},

		{name: "MD5 missing", algorithm: "AES256", k: key, want: &want{CodeInvalidArgument, MsgMissingKeyMD5}},
		{name: "MD5 of another key", algorithm: "AES256", k: key, md5: otherMD5, want: &want{CodeInvalidArgument, MsgKeyMD5Mismatch}},
		{name: "key of another MD5", algorithm: "AES256", k: otherKey, md5: keyMD5, want: &want{CodeInvalidArgument, MsgKeyMD5Mismatch}},
		{name: "MD5 in hex", algorithm: "AES256", k: key, md5: hexMD5, want: &want{CodeInvalidArgument, MsgKeyMD5Mismatch}},
		{name: "MD5 not base64", algorithm: "AES256", k: key, md5: "%%%", want: &want{CodeInvalidArgument, MsgKeyMD5Mismatch}},
		{name: "MD5 truncated", algorithm: "AES256", k: key, md5: keyMD5[:20], want: &want{CodeInvalidArgument, MsgKeyMD5Mismatch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ck, err := ParseCustomerKey(tt.algorithm, tt.k, tt.md5)
			switch {
			case tt.none:
				if !errors.Is(err, ErrNoCustomerKey) {
					t.Fatalf("err = %v, want ErrNoCustomerKey", err)
				}
			case tt.want == nil:
				if err != nil {
					t.Fatal(err)
				}
				if ck.KeyMD5() != keyMD5 {
					t.Fatalf("KeyMD5 = %q, want %q", ck.KeyMD5(), keyMD5)
				}
			default:
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("err = %v (%T), want *Error", err, err)
				}
				if e.Code != tt.want.code || e.Message != tt.want.msg {
					t.Fatalf("got %s %q, want %s %q", e.Code, e.Message, tt.want.code, tt.want.msg)
				}
				if ck != (CustomerKey{}) {
					t.Fatal("a CustomerKey came back with the error")
				}
			}
		})
	}
}

func TestParseServerSideEncryption(t *testing.T) {
	tests := []struct {
		value, code string
	}{
		{"", ""},
		{"AES256", ""},
		{"aws:kms", CodeNotImplemented},
		{"aws:kms:dsse", CodeNotImplemented},
		{"aes256", CodeInvalidArgument},
		{"AES128", CodeInvalidArgument},
		{"SSE-C", CodeInvalidArgument},
	}
	for _, tt := range tests {
		err := ParseServerSideEncryption(tt.value)
		var e *Error
		switch {
		case tt.code == "" && err != nil:
			t.Errorf("%q: %v, want accepted", tt.value, err)
		case tt.code != "" && (!errors.As(err, &e) || e.Code != tt.code):
			t.Errorf("%q: %v, want code %s", tt.value, err, tt.code)
		case tt.code == CodeInvalidArgument && e.Message != MsgUnsupportedMethod:
			t.Errorf("%q: message %q", tt.value, e.Message)
		}
	}
}

func TestCustomerKeyWrap(t *testing.T) {
	ck := mustCustomerKey(t, bytes.Repeat([]byte{7}, 32))
	other := mustCustomerKey(t, bytes.Repeat([]byte{8}, 32))
	dataKey := newDataKey()
	const ctx = "bucket/some/key/v1"

	wrapped, err := WrapWithCustomerKey(ck, dataKey, ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(wrapped) != customerKeyWrapSize || bytes.Contains(wrapped, dataKey) {
		t.Fatalf("wrapped key is %d bytes or holds the data key", len(wrapped))
	}
	again, _ := WrapWithCustomerKey(ck, dataKey, ctx)
	if bytes.Equal(again, wrapped) {
		t.Fatal("two wraps are equal: the nonce is not random")
	}
	got, err := UnwrapWithCustomerKey(ck, wrapped, ctx)
	if err != nil || !bytes.Equal(got, dataKey) {
		t.Fatalf("unwrap = %x, %v; want the data key", got, err)
	}

	t.Run("wrong customer key", func(t *testing.T) {
		if _, err := UnwrapWithCustomerKey(other, wrapped, ctx); err != ErrWrongCustomerKey {
			t.Fatalf("err = %v, want ErrWrongCustomerKey", err)
		}
	})
	t.Run("other context", func(t *testing.T) {
		if _, err := UnwrapWithCustomerKey(ck, wrapped, "bucket/some/key/v2"); err != ErrWrongCustomerKey {
			t.Fatalf("err = %v, want ErrWrongCustomerKey", err)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		for i := 1; i < len(wrapped); i++ {
			bad := bytes.Clone(wrapped)
			bad[i] ^= 1
			if _, err := UnwrapWithCustomerKey(ck, bad, ctx); err != ErrWrongCustomerKey {
				t.Fatalf("byte %d flipped: err = %v, want ErrWrongCustomerKey", i, err)
			}
		}
	})
	t.Run("malformed is not the client's fault", func(t *testing.T) {
		bad := bytes.Clone(wrapped)
		bad[0] = 2
		for _, w := range [][]byte{nil, wrapped[:len(wrapped)-1], append(bytes.Clone(wrapped), 0), bad} {
			if _, err := UnwrapWithCustomerKey(ck, w, ctx); err == nil || errors.Is(err, ErrWrongCustomerKey) {
				t.Fatalf("%d bytes: err = %v, want a malformed-value error", len(w), err)
			}
		}
	})
	t.Run("not an SSE-S3 key", func(t *testing.T) {
		// The same key material as a master Sealer must not open it.
		if _, err := UnwrapKey(gcmSealer(t, ck.key[:]), wrapped, ctx); !errors.Is(err, ErrUnwrap) {
			t.Fatalf("err = %v, want ErrUnwrap", err)
		}
	})
	t.Run("zero CustomerKey", func(t *testing.T) {
		if _, err := WrapWithCustomerKey(CustomerKey{}, dataKey, ctx); err == nil {
			t.Fatal("wrapped under an unparsed CustomerKey")
		}
		if _, err := UnwrapWithCustomerKey(CustomerKey{}, wrapped, ctx); err == nil || err == ErrWrongCustomerKey {
			t.Fatalf("err = %v, want a programming error", err)
		}
	})
	t.Run("bad data key", func(t *testing.T) {
		if _, err := WrapWithCustomerKey(ck, dataKey[:16], ctx); err == nil {
			t.Fatal("wrapped a 16-byte data key")
		}
	})
}

func TestCustomerKeyDoesNotPrint(t *testing.T) {
	raw := bytes.Repeat([]byte{0x5A}, 32)
	ck := mustCustomerKey(t, raw)
	b64, _ := customerHeaders(raw)
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "key", ck)
	for _, s := range []string{
		fmt.Sprint(ck), fmt.Sprintf("%v %+v %#v %s %q %x", ck, ck, ck, ck, ck, ck),
		fmt.Sprintf("%v", &ck), fmt.Sprintf("%+v", struct{ K CustomerKey }{ck}), logged.String(),
		fmt.Sprintf("%+v %#v", struct{ k CustomerKey }{ck}, struct{ k CustomerKey }{ck}),
	} {
		if strings.Contains(s, b64) || strings.Contains(s, string(raw)) || strings.Contains(s, fmt.Sprintf("%x", raw)) ||
			strings.Contains(s, "90 90 90") {
			t.Fatalf("formatted CustomerKey shows the key: %s", s)
		}
		if strings.Contains(s, "{k:") || strings.Contains(s, "{k:sse") {
			continue // an unexported field: fmt shows the pointer, not the key
		}
		if !strings.Contains(s, ck.KeyMD5()) && !strings.Contains(s, fmt.Sprintf("%x", ck.String())) {
			t.Fatalf("formatted CustomerKey does not show its MD5: %s", s)
		}
	}
}
