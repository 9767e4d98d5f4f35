#!/usr/bin/env bash
# Builds libomni_cuda_graphs.so into DIR (default: this folder's build/): the one place for its compiler flags.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/build}
mkdir -p "$out"
g++ -std=c++17 -O2 -Wall -Wextra -Werror -shared -fPIC -o "$out/libomni_cuda_graphs.so" "$here/omni_cuda_graphs.cpp" -ldl
