// Package secret encrypts secrets at rest (secret access keys, later
// session keys and private keys) with AES-256-GCM under a key kept in a file
// of mode 0600, by default <data-dir>/master.key.
//
// Sealed values carry a format byte and a random 96-bit nonce, and are bound
// to a caller-chosen associated data string (for example the access key ID),
// so a ciphertext copied to another row fails to open. Several servers that
// share one PostgreSQL store must share the same key file.
//
// The package never logs or returns key material in errors.
package secret
