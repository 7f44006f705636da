#!/usr/bin/env bash
# Build llama.cpp's `llama-server` from the source package llama-cpp-python (which vendors
# llama.cpp) into a cache folder, for the integration tests and for local use.
#
#   scripts/build_llama_server.sh            # → $LLAMA_SERVER_CACHE/llama-server
#
# LLAMA_SERVER_CACHE defaults to ${XDG_CACHE_HOME:-~/.cache}/fingerprint/llama-server-<version>.
# Needs cmake, a C/C++ compiler and pip; takes several minutes on 2 cores.
# -DGGML_NATIVE=OFF keeps the binary portable: a native build can use CPU features (AMX)
# that a container or VM does not allow, and then dies with SIGILL.
set -euo pipefail

VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
CACHE="${LLAMA_SERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fingerprint/llama-server-$VERSION}"
JOBS="${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}"
PYTHON="${PYTHON:-python3}"

if [ -x "$CACHE/llama-server" ]; then
  echo "llama-server already built: $CACHE/llama-server"
  exit 0
fi
for tool in cmake c++ cc; do
  command -v "$tool" >/dev/null 2>&1 || { echo "build_llama_server: $tool is missing; install it (e.g. apt-get install cmake build-essential)" >&2; exit 1; }
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
"$PYTHON" -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d .
tar xzf "llama_cpp_python-$VERSION.tar.gz"
SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"

# Keep the build folder's path out of the binary.
PREFIX_MAP="-ffile-prefix-map=$WORK=."
cmake -S "$SRC" -B "$SRC/build" -DCMAKE_BUILD_TYPE=Release \
  -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
  -DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF \
  -DCMAKE_C_FLAGS="$PREFIX_MAP" -DCMAKE_CXX_FLAGS="$PREFIX_MAP"
cmake --build "$SRC/build" --target llama-server -j"$JOBS"

mkdir -p "$CACHE"
install -m 0755 "$SRC/build/bin/llama-server" "$CACHE/llama-server.tmp"
mv "$CACHE/llama-server.tmp" "$CACHE/llama-server"
"$CACHE/llama-server" --version
echo "built $CACHE/llama-server"
