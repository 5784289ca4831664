package s3

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/nimbuscloud/nimbus/internal/s3/sse"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// transition moves one version's body into another storage class's
// layout (a lifecycle transition): each blob is copied into a blob of the
// new class, the row is switched to it only if it still names the old
// one, and the old blob is released as an overwrite releases it (readers
// that hold it finish first). A body kept in its row only changes class.
// It reports whether the version moved.
func (s *Service) transition(ctx context.Context, b *Bucket, o *Object, class string) (bool, error) {
	if o.DeleteMarker || o.StorageClass == class {
		return false, nil
	}
	if o.multipartID != "" {
		if err := s.transitionParts(ctx, b, o, class); err != nil {
			return false, err
		}
	}
	var nb Blob
	if o.ref != nil {
		var err error
		if nb, err = s.copyBlob(ctx, class, o.ref, o.blobSize(), o.verifiableMD5()); err != nil {
			return false, err
		}
	}
	moved := false
	err := s.st.Update(ctx, func(tx store.Tx) error {
		moved = false
		if _, err := sameBucket(ctx, tx, b); err != nil {
			return err
		}
		for _, table := range []string{"s3_objects", "s3_versions"} {
			var n int64
			var err error
			if o.ref != nil {
				n, err = tx.Exec(ctx, `UPDATE `+table+` SET storage_class = ?, blob_id = ?, blob_ref = ? WHERE bucket = ? AND object_key = ? AND version_id = ? AND blob_id = ?`,
					class, nb.ID, nb.Ref, b.Name, o.Key, o.VersionID, o.blobID)
			} else {
				n, err = tx.Exec(ctx, `UPDATE `+table+` SET storage_class = ? WHERE bucket = ? AND object_key = ? AND version_id = ?`,
					class, b.Name, o.Key, o.VersionID)
			}
			if err != nil {
				return err
			}
			if n > 0 {
				moved = true
				return nil
			}
		}
		return nil
	})
	if err != nil || !moved {
		if nb.Ref != nil {
			s.deleteBlob(ctx, nb.ID, nb.Ref)
		}
		return false, skipOK(err)
	}
	if o.ref != nil {
		s.release(ctx, &released{key: o.blobID, blobs: []Blob{{ID: o.blobID, Ref: o.ref}}, obj: openPin(b.Name, o.Key)})
	}
	return true, nil
}

// transitionParts moves each engine-stored part of a multipart object.
func (s *Service) transitionParts(ctx context.Context, b *Bucket, o *Object, class string) error {
	type part struct {
		n      int
		size   int64
		etag   string
		id     string
		ref    []byte
		sealed bool
	}
	var parts []part
	err := s.st.View(ctx, func(tx store.Tx) error {
		parts = parts[:0]
		rows, err := tx.Query(ctx, `SELECT part_number, size, etag, blob_id, blob_ref, sse_key IS NOT NULL FROM s3_parts WHERE upload_id = ? AND blob_id IS NOT NULL ORDER BY part_number`, o.multipartID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p part
			if err := rows.Scan(&p.n, &p.size, &p.etag, &p.id, &p.ref, &p.sealed); err != nil {
				return err
			}
			parts = append(parts, p)
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	for _, p := range parts {
		md5hex, size := p.etag, p.size
		if p.sealed {
			md5hex, size = "", sse.SealedSize(p.size)
		}
		nb, err := s.copyBlob(ctx, class, p.ref, size, md5hex)
		if err != nil {
			return err
		}
		var n int64
		err = s.st.Update(ctx, func(tx store.Tx) error {
			var err error
			n, err = tx.Exec(ctx, `UPDATE s3_parts SET blob_id = ?, blob_ref = ? WHERE upload_id = ? AND part_number = ? AND blob_id = ?`,
				nb.ID, nb.Ref, o.multipartID, p.n, p.id)
			return err
		})
		if err != nil || n == 0 {
			s.deleteBlob(ctx, nb.ID, nb.Ref)
			if err != nil {
				return err
			}
			continue
		}
		s.release(ctx, &released{key: o.multipartID, blobs: []Blob{{ID: p.id, Ref: p.ref}}, obj: openPin(b.Name, o.Key)})
	}
	return nil
}

// copyBlob copies size bytes of a blob into a new blob of class, checking
// the bytes against md5hex (when it is an MD5) before keeping the copy.
func (s *Service) copyBlob(ctx context.Context, class string, ref []byte, size int64, md5hex string) (Blob, error) {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := s.blobs.Read(ctx, ref, pw, 0, size)
		pw.CloseWithError(err)
	}()
	sum := md5.New()
	nb, err := s.blobs.Put(ctx, class, size, io.TeeReader(pr, sum))
	pr.CloseWithError(pipeErr(err))
	<-done
	if err != nil {
		return Blob{}, err
	}
	if want, derr := hex.DecodeString(md5hex); derr == nil && len(want) == md5.Size && hex.EncodeToString(sum.Sum(nil)) != md5hex {
		s.deleteBlob(ctx, nb.ID, nb.Ref)
		return Blob{}, fmt.Errorf("%w: MD5 %x while copying to %s, want %s", ErrCorruptBody, sum.Sum(nil), class, md5hex)
	}
	return nb, nil
}

// verifiableMD5 is the MD5 a copy of the object's single blob must have:
// its ETag when that is the plaintext body's MD5 and the blob holds the
// plaintext ("" otherwise).
func (o *Object) verifiableMD5() string {
	if o.SSE != "" || o.multipartID != "" {
		return ""
	}
	return o.ETag
}

// blobSize is the length of the object's single blob.
func (o *Object) blobSize() int64 {
	if o.SSE != "" {
		return sse.SealedSize(o.Size)
	}
	return o.Size
}
