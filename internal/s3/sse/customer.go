package sse

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
)

// Error is a client error with S3's code and message. Every Error this
// package returns is answered with HTTP 400 Bad Request, except code
// NotImplemented, which is 501 Not Implemented.
type Error struct {
	Code    string // S3 error code, e.g. "InvalidArgument"
	Message string // S3's message for it
}

func (e *Error) Error() string { return "sse: " + e.Code + ": " + e.Message }

// S3 error codes of the Errors this package returns.
const (
	CodeInvalidArgument                 = "InvalidArgument"
	CodeInvalidEncryptionAlgorithmError = "InvalidEncryptionAlgorithmError"
	CodeNotImplemented                  = "NotImplemented"
)

// The messages of the Errors of ParseCustomerKey and
// ParseServerSideEncryption, in S3's words.
const (
	MsgMissingAlgorithm  = "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm."
	MsgInvalidAlgorithm  = "The encryption request you specified is not valid. The valid value is AES256."
	MsgMissingKey        = "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key."
	MsgInvalidKey        = "The secret key was invalid for the specified algorithm."
	MsgMissingKeyMD5     = "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key."
	MsgKeyMD5Mismatch    = "The calculated MD5 hash of the key did not match the hash that was provided."
	MsgUnsupportedMethod = "The encryption method specified is not supported"
	MsgKMSNotImplemented = "Server-side encryption with AWS KMS keys is not implemented."
)

const (
	customerKeyAlgorithm  = "AES256"
	customerKeyWrapFormat = 1
	customerKeyWrapSize   = 1 + nonceSize + KeySize + TagSize
)

var (
	// ErrNoCustomerKey means none of the three SSE-C headers was sent:
	// the request does not use SSE-C. It is not a client error.
	ErrNoCustomerKey = errors.New("sse: no customer key")

	// ErrWrongCustomerKey means a customer key does not open the data
	// key of the object it was presented for. S3 answers 403
	// AccessDenied.
	ErrWrongCustomerKey = errors.New("sse: customer key does not match the object's")
)

func invalidArgument(msg string) error { return &Error{Code: CodeInvalidArgument, Message: msg} }

// ParseServerSideEncryption checks an x-amz-server-side-encryption
// header: "" (none) and "AES256" (SSE-S3) are accepted; "aws:kms" and
// "aws:kms:dsse" are S3's but need a KMS (NotImplemented); anything else
// is InvalidArgument.
func ParseServerSideEncryption(value string) error {
	switch value {
	case "", "AES256":
		return nil
	case "aws:kms", "aws:kms:dsse":
		return &Error{Code: CodeNotImplemented, Message: MsgKMSNotImplemented}
	default:
		return invalidArgument(MsgUnsupportedMethod)
	}
}

// CustomerKey is an SSE-C key a client sent, checked by ParseCustomerKey.
// It formats (fmt, slog) as its MD5 only, and the key sits behind a
// pointer so that even printing a struct that holds a CustomerKey in an
// unexported field shows an address, not the key.
type CustomerKey struct {
	key *[KeySize]byte
	md5 [md5.Size]byte
}

// ParseCustomerKey checks the three SSE-C headers of a request (or the
// three x-amz-copy-source-server-side-encryption-customer-* headers of a
// copy), each "" when absent, by S3's rules: the algorithm must be
// AES256, the key the base64 of 32 bytes, and the key MD5 the base64 of
// the MD5 of those bytes. With none of the three it returns
// ErrNoCustomerKey; otherwise a failure is an *Error (400 Bad Request):
//
//	algorithm absent              InvalidArgument MsgMissingAlgorithm
//	algorithm not AES256          InvalidEncryptionAlgorithmError MsgInvalidAlgorithm
//	key absent                    InvalidArgument MsgMissingKey
//	key not base64 of 32 bytes    InvalidArgument MsgInvalidKey
//	key MD5 absent                InvalidArgument MsgMissingKeyMD5
//	key MD5 not the key's         InvalidArgument MsgKeyMD5Mismatch
func ParseCustomerKey(algorithm, keyB64, keyMD5B64 string) (CustomerKey, error) {
	switch {
	case algorithm == "" && keyB64 == "" && keyMD5B64 == "":
		return CustomerKey{}, ErrNoCustomerKey
	case algorithm == "":
		return CustomerKey{}, invalidArgument(MsgMissingAlgorithm)
	case algorithm != customerKeyAlgorithm:
		return CustomerKey{}, &Error{Code: CodeInvalidEncryptionAlgorithmError, Message: MsgInvalidAlgorithm}
	case keyB64 == "":
		return CustomerKey{}, invalidArgument(MsgMissingKey)
	}
	if base64.StdEncoding.DecodedLen(len(keyB64)) > 2*KeySize {
		return CustomerKey{}, invalidArgument(MsgInvalidKey) // don't decode a huge header
	}
	raw, err := base64.StdEncoding.DecodeString(keyB64)
	if err != nil || len(raw) != KeySize {
		return CustomerKey{}, invalidArgument(MsgInvalidKey)
	}
	ck := CustomerKey{key: (*[KeySize]byte)(raw), md5: md5.Sum(raw)}
	if keyMD5B64 == "" {
		return CustomerKey{}, invalidArgument(MsgMissingKeyMD5)
	}
	sent, err := base64.StdEncoding.DecodeString(keyMD5B64)
	if err != nil || subtle.ConstantTimeCompare(sent, ck.md5[:]) != 1 {
		return CustomerKey{}, invalidArgument(MsgKeyMD5Mismatch)
	}
	return ck, nil
}

// KeyMD5 is the base64 MD5 of the key, for the
// x-amz-server-side-encryption-customer-key-MD5 response header and the
// object's row.
func (ck CustomerKey) KeyMD5() string { return base64.StdEncoding.EncodeToString(ck.md5[:]) }

func (ck CustomerKey) String() string { return "sse.CustomerKey(MD5 " + ck.KeyMD5() + ")" }

// GoString keeps %#v from printing the key.
func (ck CustomerKey) GoString() string { return ck.String() }

// LogValue keeps slog from printing the key.
func (ck CustomerKey) LogValue() slog.Value { return slog.StringValue(ck.String()) }

func (ck CustomerKey) aead() (cipher.AEAD, error) {
	if ck.key == nil {
		return nil, errors.New("sse: CustomerKey was not made by ParseCustomerKey")
	}
	block, err := aes.NewCipher(ck.key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// WrapWithCustomerKey seals an SSE-C object's data key under the
// customer's key (AES-256-GCM, random nonce) bound to context, as WrapKey
// does under the master key. The result, stored in the object's row, is
// all the server keeps that depends on the customer key.
func WrapWithCustomerKey(ck CustomerKey, dataKey []byte, context string) ([]byte, error) {
	if len(dataKey) != KeySize {
		return nil, fmt.Errorf("sse: data key must be %d bytes, got %d", KeySize, len(dataKey))
	}
	aead, err := ck.aead()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+nonceSize, 1+nonceSize+KeySize+aead.Overhead())
	out[0] = customerKeyWrapFormat
	nonce := out[1 : 1+nonceSize]
	rand.Read(nonce) // never fails: crypto/rand crashes the program instead
	return aead.Seal(out, nonce, dataKey, []byte(aadSSEC+context)), nil
}

// UnwrapWithCustomerKey opens a data key sealed by WrapWithCustomerKey
// with the same context. A key that does not open it fails with
// ErrWrongCustomerKey (403 AccessDenied): GCM cannot tell a wrong key
// from a corrupt or moved value, and all three mean this key may not
// read this object.
func UnwrapWithCustomerKey(ck CustomerKey, wrapped []byte, context string) ([]byte, error) {
	aead, err := ck.aead()
	if err != nil {
		return nil, err
	}
	if len(wrapped) != customerKeyWrapSize || wrapped[0] != customerKeyWrapFormat {
		return nil, fmt.Errorf("sse: wrapped customer data key is malformed (%d bytes)", len(wrapped))
	}
	key, err := aead.Open(nil, wrapped[1:1+nonceSize], wrapped[1+nonceSize:], []byte(aadSSEC+context))
	if err != nil {
		return nil, ErrWrongCustomerKey
	}
	return key, nil
}
