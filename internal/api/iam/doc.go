// Package iam is the wire binding of IAM (query protocol, version
// 2010-05-08): input/output shapes, the operation table and the error
// table. Handlers decode, call internal/iam and encode; they hold no logic.
// Policy documents are URL-encoded in outputs, as AWS returns them.
package iam
