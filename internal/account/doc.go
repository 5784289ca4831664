// Package account owns the region's accounts (the tenancy boundary) and the
// long-term access keys that authenticate requests: today each account's
// root keys; IAM users' keys join the same table with #3.
//
// It owns the tables account_accounts and account_keys. Secret access keys are stored
// sealed by package secret (AES-GCM, bound to the key ID); they are opened
// only to verify a signature or to print credentials to the operator.
//
// Time and randomness are injected (Options.Now, Options.Rand) so tests are
// deterministic. The package never imports net/http or api packages.
package account
