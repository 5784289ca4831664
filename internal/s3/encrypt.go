package s3

import (
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/nimbuscloud/nimbus/internal/s3/sse"
)

// Server-side encryption modes of a stored body.
const (
	SSES3 = "AES256" // SSE-S3: data key wrapped by the region's master key
	SSEC  = "SSE-C"  // data key wrapped by the customer's key
)

// Every body is stored encrypted (S3's default encryption, SSE-S3, since
// 2023): each object, and each part of a multipart upload, is sealed by
// internal/s3/sse under its own data key, kept wrapped in its row. A
// service built without a Sealer (unit tests of other concerns only)
// stores plaintext.
//
// Wrapped keys are bound to what they encrypt: "obj/<bucket>/<key>" for
// an object body (its version ID is chosen only at commit, after the
// body is stored; a version keeps its key as it becomes noncurrent) and
// "part/<uploadID>/<part number>" for a part.

func objectKeyContext(bucket, key string) string { return "obj/" + bucket + "/" + key }
func partKeyContext(uploadID string, n int) string {
	return "part/" + uploadID + "/" + strconv.Itoa(n)
}

// sealing is how one body being stored is encrypted.
type sealing struct {
	context  string
	customer *sse.CustomerKey // SSE-C; nil for SSE-S3
}

// stored is a body stored by storeBody.
type stored struct {
	inline []byte // the (sealed) body kept in the row, when small
	blob   Blob
	mode   string // SSES3, SSEC or "" (plaintext)
	key    []byte // the wrapped data key
}

// storeBody reads a verified body into the row (at most inlineMax bytes)
// or streams it into the engine, sealed as sl says; nothing is left
// stored when it fails. The verifying reader returns io.EOF only once the
// body is complete and verified, and the encrypter seals its final chunk
// only after that, so the engine never holds a complete stream of an
// unverified body.
func (s *Service) storeBody(ctx context.Context, class string, size int64, vr *verifyingReader, sl sealing) (stored, error) {
	var out stored
	var body io.Reader = vr
	var dataKey []byte
	if s.sealer != nil || sl.customer != nil {
		enc, dk, err := sse.NewEncrypter(vr, size)
		if err != nil {
			return out, err
		}
		body, dataKey = enc, dk
		out.mode = SSES3
		if sl.customer != nil {
			out.mode = SSEC
			if out.key, err = sse.WrapWithCustomerKey(*sl.customer, dk, sl.context); err != nil {
				return out, err
			}
		} else {
			out.key = sse.WrapKey(s.sealer, dk, sl.context)
		}
	}
	length := size
	if dataKey != nil {
		length = sse.SealedSize(size)
	}
	if size <= s.inlineMax {
		b, err := io.ReadAll(body)
		if err != nil && vr.err != nil {
			err = vr.err
		}
		out.inline = b
		return out, err
	}
	blob, err := s.blobs.Put(ctx, class, length, body)
	if err == nil && !vr.done {
		// The engine stopped at the declared size; the body's end (and
		// with it the trailer and digest checks) is still to be seen.
		if _, err = vr.Read(make([]byte, 1)); err == io.EOF {
			err = nil
		}
	}
	if err != nil {
		if blob.Ref != nil {
			s.deleteBlob(ctx, blob.ID, blob.Ref)
		}
		if vr.err != nil {
			return stored{}, vr.err // the body's failure, not the engine's wrapping of it
		}
		return stored{}, err
	}
	out.blob = blob
	return out, nil
}

// dataKey unwraps a stored body's data key: with the master key for
// SSE-S3, with the customer's key (which must be given) for SSE-C; nil
// for a plaintext body.
func (s *Service) dataKey(mode string, wrapped []byte, context string, ck *sse.CustomerKey) ([]byte, error) {
	switch {
	case mode == "" || wrapped == nil:
		return nil, nil
	case mode == SSEC:
		if ck == nil {
			return nil, wrap(ErrInvalidRequest, "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
		}
		k, err := sse.UnwrapWithCustomerKey(*ck, wrapped, context)
		if errors.Is(err, sse.ErrWrongCustomerKey) {
			return nil, wrap(ErrAccessDenied, "Access Denied")
		}
		return k, err
	case s.sealer == nil:
		return nil, errors.New("s3: an encrypted body, and no master key to open it")
	default:
		return sse.UnwrapKey(s.sealer, wrapped, context)
	}
}

// openBody writes plaintext bytes [off, off+n) of a body of plain bytes,
// stored inline or in a blob, decrypting with key (nil: plaintext).
func (s *Service) openBody(ctx context.Context, key []byte, plain int64, inline, ref []byte, off, n int64, w io.Writer) (int64, error) {
	if key == nil {
		if ref == nil {
			k, err := w.Write(inline[off : off+n])
			return int64(k), err
		}
		return s.blobs.Read(ctx, ref, w, off, n)
	}
	read := func(cOff, cLen int64, cw io.Writer) error {
		if ref == nil {
			if cOff+cLen > int64(len(inline)) {
				return sse.ErrCorrupt
			}
			_, err := cw.Write(inline[cOff : cOff+cLen])
			return err
		}
		_, err := s.blobs.Read(ctx, ref, cw, cOff, cLen)
		return err
	}
	written, err := sse.Decrypt(key, plain, off, n, w, read)
	if errors.Is(err, sse.ErrCorrupt) {
		err = errors.Join(ErrCorruptBody, err)
	}
	return written, err
}

// plainInline decrypts a small body kept in a row, in place: sealed is
// the caller's, which keeps only the plaintext returned.
func (s *Service) plainInline(key []byte, sealed []byte, plain int64) ([]byte, error) {
	if key == nil {
		return sealed, nil
	}
	b, err := sse.OpenInPlace(key, plain, sealed)
	if errors.Is(err, sse.ErrCorrupt) {
		err = errors.Join(ErrCorruptBody, err)
	}
	return b, err
}
