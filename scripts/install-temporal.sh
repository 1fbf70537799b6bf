#!/usr/bin/env bash
# Installs the pinned Temporal CLI (whose dev server is a real Temporal server with the Web UI)
# into $IR_RUNTIME_DIR/bin (default ~/.cache/identity-ir/bin, shared by every checkout).
# Reuses $TEMPORAL_CLI or a `temporal` on PATH when present. Prints the binary's path.
set -euo pipefail
TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"
bin_dir="${IR_RUNTIME_DIR:-$HOME/.cache/identity-ir}/bin"
target="$bin_dir/temporal"

if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "${TEMPORAL_CLI}" ]; then
  echo "$TEMPORAL_CLI"; exit 0
fi
if [ -x "$target" ]; then echo "$target"; exit 0; fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-temporal: no Temporal CLI found and no Go toolchain to build it." >&2
  echo "  Install Go, or set TEMPORAL_CLI to a temporal binary ($TEMPORAL_CLI_VERSION)." >&2
  exit 1
fi
mkdir -p "$bin_dir"
echo "install-temporal: building temporal CLI $TEMPORAL_CLI_VERSION with go install (takes a few minutes once)" >&2
GOBIN="$bin_dir" GOFLAGS="-trimpath" go install "github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}" >&2
echo "$target"
