#!/usr/bin/env bash
# The one command that runs every nimbus test (make test, and .ci/run).
#
# On a fresh Debian machine with Go it installs what is missing when CI=true
# or NIMBUS_INSTALL=1 (postgresql, and the aws CLI for the CLI-driven e2e
# checks), starts a throwaway PostgreSQL cluster for the store suite, and runs
# go vet plus every test (unit, fuzz seed corpora, end-to-end against the real
# binary). Without permission to install, tests needing a missing tool skip
# with a one-line reason; under CI nothing may skip for that reason.
set -euo pipefail
cd "$(dirname "$0")/.."

may_install() { [ "${CI:-}" = "true" ] || [ "${NIMBUS_INSTALL:-}" = "1" ]; }

apt_updated=
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "test.sh: need root to apt-get install $*" >&2
    return 1
  fi
  if [ -z "$apt_updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

command -v go >/dev/null || { echo "test.sh: Go is required (https://go.dev/dl)" >&2; exit 1; }

if ! command -v aws >/dev/null; then
  if may_install; then
    echo "test.sh: installing awscli"
    apt_install awscli
  else
    echo "test.sh: aws CLI not found; CLI checks will skip (set NIMBUS_INSTALL=1 to install it)"
  fi
fi

pgdir=$(mktemp -d /tmp/nimbus-testpg.XXXXXX)
cleanup() {
  ./scripts/testpg.sh stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
trap cleanup EXIT

if [ -z "${NIMBUS_TEST_POSTGRES:-}" ]; then
  if dsn=$(./scripts/testpg.sh start "$pgdir"); then
    export NIMBUS_TEST_POSTGRES="$dsn"
    echo "test.sh: throwaway PostgreSQL at $dsn"
  elif [ "${CI:-}" = "true" ]; then
    echo "test.sh: could not start PostgreSQL under CI" >&2
    exit 1
  else
    echo "test.sh: PostgreSQL not available; Postgres tests will skip"
  fi
fi

echo "test.sh: go vet"
go vet ./...

echo "test.sh: go test"
go test -count=1 -timeout 20m ./...
