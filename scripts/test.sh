#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds the tests with AddressSanitizer + UBSan, and runs
# every test: unit, end-to-end (the real binary) and the fuzz-corpus replays.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHOOKGATE_SANITIZE=ON \
  -DHOOKGATE_BENCH=OFF
cmake --build build-test
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
ctest --test-dir build-test --output-on-failure -j"$(nproc)" "$@"
