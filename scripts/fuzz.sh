#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default 30) from its corpus.
# New inputs go to a scratch directory, not the checked-in corpus; a crash fails the script and
# leaves the input in build-fuzz/artifacts/ (turn it into a corpus file: a regression test).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHOOKGATE_FUZZ=ON -DHOOKGATE_TESTS=OFF -DHOOKGATE_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all"
cmake --build build-fuzz --target fuzz_all
mkdir -p build-fuzz/artifacts
for target in build-fuzz/fuzz/fuzz_*; do
  name=${target##*/fuzz_}
  scratch=build-fuzz/corpus-$name
  mkdir -p "$scratch"
  echo "== fuzz $name for ${seconds}s"
  "$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=build-fuzz/artifacts/"$name"- -print_final_stats=1 \
    "$scratch" "fuzz/corpus/$name" 2>&1 | tail -n 12
done
