// Package loadgen drives a running region with signed requests to measure
// the gateway: a fixed pool of requests is signed up front (SigV4 signatures
// stay valid for 15 minutes), then replayed by N concurrent workers for a
// duration, and the latency distribution and throughput are reported. Signing
// ahead keeps the load generator's own CPU cost out of the figures as far as
// possible on a machine it shares with the server.
package loadgen
