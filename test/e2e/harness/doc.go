// Package harness starts real nimbus binaries for end-to-end tests: it
// builds cmd/nimbus once per test process, starts a region on a free
// loopback port with a temp data dir and fixed bootstrap credentials, waits
// until /healthz answers, and gives tests aws-sdk-go-v2 configs, the aws CLI
// (when installed) and raw signed HTTP requests. Every service's e2e tests
// use it; nothing here fakes a part of the server.
package harness
