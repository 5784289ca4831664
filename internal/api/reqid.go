package api

import (
	"crypto/rand"
	"encoding/hex"
)

// requestID returns a request ID in AWS's UUID form.
func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// s3RequestID returns an S3-style x-amz-request-id: 16 upper-case hex digits.
func s3RequestID() string {
	var b [8]byte
	rand.Read(b[:])
	id := make([]byte, 16)
	hex.Encode(id, b[:])
	for i, c := range id {
		if c >= 'a' {
			id[i] = c - 32
		}
	}
	return string(id)
}
