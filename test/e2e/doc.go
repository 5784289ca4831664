// Package e2e holds end-to-end tests that start the real nimbus binary
// (through package harness) and drive it with aws-sdk-go-v2, the aws CLI
// when installed, and raw signed HTTP where a test must break the rules.
package e2e
