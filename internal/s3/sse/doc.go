// Package sse is the cryptography of S3 server-side encryption: the sealed
// stream format of object bodies, the wrapping of their data keys under
// the region's master key (SSE-S3) or a customer's key (SSE-C), and the
// parsing of SSE-C request headers by S3's rules.
//
// It owns the on-disk format of encrypted bodies and wrapped keys. It
// knows nothing of buckets, rows, blobs or HTTP: the S3 service streams a
// body through NewEncrypter into the blob engine, stores the wrapped key
// in the object's row, and serves reads, ranges included, through
// Decrypt with a ReadFunc over the blob engine. It must never buffer a
// body (memory is one 64 KiB chunk per stream whatever the size), never
// release plaintext that has not authenticated, never seal two streams
// under one data key, and never keep a customer key or anything derived
// from it other than a data key wrapped under it and the key's MD5.
//
// # Stream format (v1)
//
// The plaintext is cut into chunks of ChunkSize (64 KiB) bytes, the last
// one shorter; an empty plaintext is one empty chunk, so that truncation
// to nothing is detected. Chunk i is sealed with AES-256-GCM under the
// stream's data key:
//
//	nonce  = uint64be(i) || 00 00 00 00
//	aad    = uint64be(i) || final   (final: 1 for the last chunk, else 0)
//	sealed = ciphertext || tag      (len(chunk) + TagSize bytes)
//
// and the sealed chunks are concatenated with no header, so
// SealedSize(n) = n + 16*max(1, ceil(n/ChunkSize)) and the ciphertext of
// plaintext byte x lies in chunk x/ChunkSize at offset
// (x/ChunkSize)*(ChunkSize+16): a range read fetches and opens only the
// chunks it spans. The plaintext size comes from the object's row.
//
// Every data key seals exactly one stream, which is what makes the
// counter nonce safe (a nonce repeats only under a different key);
// NewEncrypter generates the key itself so no caller can break this.
// The index in the nonce and the associated data detects reordering and
// chunks moved within the stream; the final flag detects truncation at a
// chunk boundary and appended chunks; chunks spliced in from another
// stream fail under its different key. A size in the row that disagrees
// with the ciphertext makes the expected final chunk fail or come up
// short. All of these are ErrCorrupt, wrapped with the chunk's index.
//
// A multipart upload seals each part as its own stream with its own data
// key; the S3 service decrypts a multipart object part by part.
//
// # Data keys and contexts
//
// An SSE-S3 data key is stored as WrapKey(masterBox, key, context), which
// seals it with the region's master key (internal/secret.Box, a Sealer);
// an SSE-C data key as WrapWithCustomerKey(customerKey, key, context):
// AES-256-GCM under the customer's key with a random nonce, laid out as
//
//	01 || nonce (12) || sealed data key (32) || tag (16)   (61 bytes)
//
// Both bind the wrapped key to context (with a distinct fixed prefix per
// kind, so an SSE-S3 wrapped key never opens as anything else the master
// key seals). The context is the identity of the bytes the key encrypts,
// which a copy of the row to another object does not keep: the S3 service
// passes "<bucket>/<key>/<versionID>" for an object, with "/<part
// number>" appended for a part of a multipart object (a part uploaded
// before its object has a version ID is wrapped under its upload's
// identity and re-wrapped when the upload completes). Bucket names and
// version IDs contain no "/", so such a context is unambiguous even
// though object keys may. A wrapped key presented under another context
// does not open: ErrUnwrap for SSE-S3 (an internal error: corruption or a
// wrong master key), ErrWrongCustomerKey for SSE-C.
//
// A customer key that does not open the object's wrapped data key is
// ErrWrongCustomerKey, which S3 answers with 403 AccessDenied. S3 instead
// keeps a salted HMAC of the customer key; the wrapped data key does that
// job and is the only key-dependent value kept besides the key's MD5
// (which clients send in the clear and S3 echoes).
//
// # S3 errors
//
// Client errors are *Error values carrying S3's code and message; the S3
// layer's error table maps the code to the status: 400 Bad Request for
// InvalidArgument and InvalidEncryptionAlgorithmError, 501 for
// NotImplemented. ParseCustomerKey documents which header faults give
// which. ErrWrongCustomerKey is 403 AccessDenied; ErrNoCustomerKey is not
// an error for the client (the request does not use SSE-C). Whether a
// request must or must not carry SSE-C headers for a given object
// (400 InvalidRequest "The object was stored using a form of Server Side
// Encryption. The correct parameters must be provided to retrieve the
// object.") is the S3 layer's decision, as is refusing SSE-C over plain
// HTTP.
package sse
