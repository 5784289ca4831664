#!/usr/bin/env bash
# Benchmarks for the closing notes: store (SQLite, and Postgres when
# NIMBUS_TEST_POSTGRES is set or a throwaway cluster can be started),
# SigV4, protocol codecs, the in-process gateway, the VPC data plane (the
# planner, and Apply on real namespaces: needs root, skipped without), and
# the end-to-end gateway load test (nimbus bench gateway, concurrency 32)
# against a real server.
set -euo pipefail
cd "$(dirname "$0")/.."

pgdir=$(mktemp -d /tmp/nimbus-benchpg.XXXXXX)
datadir=$(mktemp -d /tmp/nimbus-bench.XXXXXX)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  ./scripts/testpg.sh stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$pgdir" "$datadir"
}
trap cleanup EXIT
if [ -z "${NIMBUS_TEST_POSTGRES:-}" ]; then
  if dsn=$(./scripts/testpg.sh start "$pgdir" 2>/dev/null); then export NIMBUS_TEST_POSTGRES="$dsn"; fi
fi

go test -run='^$' -bench=. -benchtime=2s ./internal/store/... ./internal/api/... ./internal/checksum/
go test -run='^$' -bench=. -benchtime=2s ./internal/vpc/netplan/ ./internal/hostagent/netplane/

go build -o "$datadir/nimbus" ./cmd/nimbus
ak=AKIABENCHBENCHBENCH2
sk=benchbenchbenchbenchbenchbenchbenchbench
addr=127.0.0.1:$(( 20000 + RANDOM % 20000 ))
"$datadir/nimbus" server --data-dir "$datadir/data" --listen "$addr" --log-level warn \
  --bootstrap-access-key "$ak" --bootstrap-secret-key "$sk" >/dev/null &
server=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/${addr%:*}/${addr#*:}") 2>/dev/null && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk AWS_ENDPOINT_URL=http://$addr AWS_REGION=us-east-1
# as fast as the server answers, then paced at the issue's 10,000/s target
"$datadir/nimbus" bench gateway --concurrency 32 --duration 10s
"$datadir/nimbus" bench gateway --concurrency 32 --duration 10s --rate 10000
