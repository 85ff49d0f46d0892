#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds the tests with AddressSanitizer + UBSan, and runs
# every test: unit, end-to-end (the real binary) and the fuzz-corpus replays, the store's tests
# against both SQLite and a throwaway PostgreSQL (scripts/start-postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
# The store's PostgreSQL tests need a server: a throwaway local one unless the caller named one.
if [ -z "${HOOKGATE_TEST_POSTGRES_URL:-}" ]; then
  HOOKGATE_TEST_POSTGRES_URL=$(./scripts/start-postgres.sh)
  export HOOKGATE_TEST_POSTGRES_URL
fi
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHOOKGATE_SANITIZE=ON \
  -DHOOKGATE_BENCH=OFF
cmake --build build-test
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
ctest --test-dir build-test --output-on-failure -j"$(nproc)" "$@"
