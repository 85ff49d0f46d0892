#!/usr/bin/env bash
# Fails when a C++ file of the project is not formatted with the repo's .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror
