// Package sts is the wire binding of the STS service: its query-protocol
// shapes, operation table and error table. It decodes, calls internal/sts
// and encodes; it holds no logic of its own.
package sts
