#!/usr/bin/env bash
# Provision libtorch 2.11.0 into .deps/libtorch from pinned PyPI wheels.
#
# Why wheels: the PyPI torch wheel is the one registry-hosted libtorch build, and
# it is the same 2.11.0 the GPU machine ships. We unpack only what a CPU binary
# needs (headers, libtorch{,_cpu}, libc10, libgomp) plus the CUDA runtime and
# CUPTI that libtorch_cpu.so links against, each wheel verified by sha256.
# Idempotent: a stamp records the lock file's hash; a matching stamp exits at once.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
lock="$root/scripts/libtorch.lock"
dest="$root/.deps/libtorch"
stamp="$dest/.complete"
want="$(sha256sum "$lock" | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

python="${PYTHON:-python3}"
work="$root/.deps/wheels"
rm -rf "$dest" "$dest.tmp"
mkdir -p "$work" "$dest.tmp/lib"

req="$work/requirements.txt"
: >"$req"
while read -r spec hash; do
  [[ -z "$spec" || "$spec" == \#* ]] && continue
  echo "$spec --hash=sha256:$hash" >>"$req"
done <"$lock"

echo "setup: downloading pinned libtorch wheels (about 550 MB, verified by sha256)"
"$python" -m pip download --quiet --no-deps --require-hashes --only-binary=:all: \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_25_x86_64 --platform manylinux_2_17_x86_64 --python-version 3.11 --implementation cp \
  -r "$req" -d "$work"

# pip checked the hashes; check again so a stale file in $work cannot slip through.
while read -r spec hash; do
  [[ -z "$spec" || "$spec" == \#* ]] && continue
  name="${spec%%==*}"; version="${spec##*==}"
  file="$(ls "$work"/"${name//-/_}"-"$version"-*.whl)"
  echo "$hash  $file" | sha256sum --check --quiet
done <"$lock"

echo "setup: unpacking libtorch into .deps/libtorch"
torch_whl="$(ls "$work"/torch-2.11.0-*.whl)"
unzip -q -o "$torch_whl" 'torch/include/*' 'torch/lib/libtorch.so' 'torch/lib/libtorch_cpu.so' \
  'torch/lib/libc10.so' 'torch/lib/libgomp.so.1' 'torch/version.py' -d "$dest.tmp/unz"
mv "$dest.tmp/unz/torch/include" "$dest.tmp/include"
mv "$dest.tmp/unz/torch/lib/"* "$dest.tmp/lib/"
ln -sf libgomp.so.1 "$dest.tmp/lib/libgomp.so"
for whl in "$work"/nvidia_cuda_runtime-*.whl "$work"/nvidia_cuda_cupti-*.whl; do
  unzip -q -o "$whl" 'nvidia/cu13/lib/libcudart.so.13' 'nvidia/cu13/lib/libcupti.so.13' \
    -d "$dest.tmp/unz" 2>/dev/null || true
done
mv "$dest.tmp/unz/nvidia/cu13/lib/"* "$dest.tmp/lib/"
rm -rf "$dest.tmp/unz"
echo "2.11.0" >"$dest.tmp/build-version"
echo "$want" >"$dest.tmp/.complete"
mv "$dest.tmp" "$dest"
rm -rf "$work"
echo "setup: libtorch ready in .deps/libtorch"
