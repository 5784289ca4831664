// Package sqltext rewrites the portable SQL that services write into a
// backend's dialect: ? placeholders to PostgreSQL's $1, $2 ... and the BLOB type
// name to BYTEA. It understands just enough lexical structure (string literals,
// quoted identifiers, comments, dollar quoting) never to touch text inside them.
// It is pure: no I/O, no state; it must never parse or validate SQL beyond that.
package sqltext
