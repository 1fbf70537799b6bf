#!/usr/bin/env bash
# Installs the pinned S3 emulator the evidence-store tests run against: moto's server (it implements
# S3 Object Lock, retention and conditional writes) in a Python venv under
# $IR_RUNTIME_DIR/moto-<version> (default ~/.cache/identity-ir). Prints the moto_server path.
# Only tests use it; production points EVIDENCE_STORE=s3 at real S3-compatible storage.
set -euo pipefail
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
runtime="${IR_RUNTIME_DIR:-$HOME/.cache/identity-ir}"
venv="$runtime/moto-$MOTO_VERSION"

if [ -x "$venv/bin/moto_server" ]; then echo "$venv/bin/moto_server"; exit 0; fi
command -v python3 >/dev/null 2>&1 || { echo "install-s3-emulator: python3 is needed" >&2; exit 1; }
echo "install-s3-emulator: installing moto[server]==$MOTO_VERSION into $venv" >&2
rm -rf "$venv"
python3 -m venv "$venv"
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2; then
  rm -rf "$venv"; echo "install-s3-emulator: pip install failed" >&2; exit 1
fi
echo "$venv/bin/moto_server"
