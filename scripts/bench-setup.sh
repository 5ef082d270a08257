#!/usr/bin/env bash
# Provision the PyTorch side of `make bench`: a virtual environment in
# .deps/bench-venv holding torch 2.11.0 from the same pinned wheel as libtorch
# (scripts/libtorch.lock) and its few pure-Python imports (scripts/bench.lock),
# every wheel verified by sha256. The CUDA wheels torch asks for are not installed:
# libtorch_cpu.so only needs libcudart and libcupti, which `make setup` already
# unpacked into .deps/libtorch/lib (scripts/bench.sh puts them on LD_LIBRARY_PATH).
# Idempotent: a stamp records the hashes of both lock files.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.deps/bench-venv"
stamp="$venv/.complete"
want="$(cat "$root/scripts/libtorch.lock" "$root/scripts/bench.lock" | sha256sum | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

python="${PYTHON:-python3}"
# The pinned wheel is built for CPython 3.11 (cp311); say so rather than let pip fail.
if [[ "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != 3.11 ]]; then
  echo "bench-setup: the pinned torch wheel needs Python 3.11; set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
libtorch_lib="${LIBTORCH:-$root/.deps/libtorch}/lib"

# The wheel's libtorch_python.so links libtorch_cuda.so, which links cuBLAS, cuDNN,
# NCCL and friends (several GB) that a CPU run never calls. Instead of those wheels,
# build one tiny stand-in library per missing soname, defining (as empty functions)
# exactly the symbols torch's libraries import from it, with the symbol version they
# ask for, so that the dynamic loader is satisfied. No CUDA code path ever runs: the
# bench sets one CPU thread and never touches a device.
build_cuda_stubs() {
  local lib="$venv/lib/python3.11/site-packages/torch/lib" stubs="$venv/cuda-stubs" py
  py="$(readlink -f "$venv/bin/python")"
  mkdir -p "$stubs"
  undefined() { for f in "$lib"/*.so; do nm -D --undefined-only --with-symbol-versions "$f" | awk '$1 == "U" {print $2}'; done | sort -u; }
  undefined >"$stubs/undefined.txt"
  # Every symbol some library on the load path defines; the rest must come from stubs.
  for f in "$lib"/*.so "$libtorch_lib"/libcudart.so.* "$libtorch_lib"/libcupti.so.* "$py" \
    $(ldd "$py" "$lib/libtorch_cpu.so" | awk '/=> \// {print $3}' | sort -u); do
    nm -D --defined-only "$f" 2>/dev/null | awk '{sub("@.*", "", $NF); print $NF}'
  done | sort -u >"$stubs/defined.txt"
  grep -v @ "$stubs/undefined.txt" | comm -23 - "$stubs/defined.txt" >"$stubs/unversioned.txt"
  local so version
  for so in libcublas.so.13 libcublasLt.so.13 libcudnn.so.9 libcufft.so.12 libcusparse.so.12 libnvshmem_host.so.3 \
    libcufile.so.0 libcurand.so.10 libcusparseLt.so.0 libnccl.so.2; do
    version="$so"
    [[ $so == libnvshmem_host.so.3 ]] && version=NVSHMEM
    { sed -n "s/@$version\$//p" "$stubs/undefined.txt"
      # Unversioned imports (NCCL, cuRAND, cuFile, cuSPARSELt) resolve from any library.
      [[ $so == libnccl.so.2 ]] && cat "$stubs/unversioned.txt"; } >"$stubs/$so.syms"
    awk '{printf "void s%d(void) __asm__(\"%s\");\nvoid s%d(void) {}\n", NR, $1, NR}' "$stubs/$so.syms" >"$stubs/stub.c"
    echo 'void causeway_bench_stub(void) {}' >>"$stubs/stub.c"
    printf '%s { global: *; };\n' "$version" >"$stubs/version.map"
    cc -shared -fPIC -o "$stubs/$so" "$stubs/stub.c" -Wl,-soname,"$so" -Wl,--version-script,"$stubs/version.map"
  done
  rm -f "$stubs"/*.txt "$stubs"/*.syms "$stubs/stub.c" "$stubs/version.map"
}
work="$root/.deps/bench-wheels"
mkdir -p "$work"
req="$work/requirements.txt"
: >"$req"
for lock in "$root/scripts/bench.lock" "$root/scripts/libtorch.lock"; do
  while read -r spec hash; do
    [[ -z "$spec" || "$spec" == \#* || "$spec" == nvidia-* ]] && continue
    echo "$spec --hash=sha256:$hash" >>"$req"
  done <"$lock"
done

echo "bench-setup: downloading torch 2.11.0 and its pure-Python imports (about 540 MB, verified by sha256)"
"$python" -m pip download --quiet --no-deps --require-hashes --only-binary=:all: \
  --platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp \
  -r "$req" -d "$work"

rm -rf "$venv"
"$python" -m venv "$venv"
# --no-deps: the CUDA wheels torch declares are deliberately left out (see above).
"$venv/bin/python" -m pip install --quiet --no-deps --no-index --require-hashes --find-links "$work" -r "$req"
build_cuda_stubs
echo "$want" >"$stamp"
rm -rf "$work"
echo "bench-setup: PyTorch ready in .deps/bench-venv"
