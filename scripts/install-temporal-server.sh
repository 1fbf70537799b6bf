#!/usr/bin/env bash
# Installs the pinned Temporal server (go.temporal.io/server, the version the pinned CLI embeds) and
# its SQL schema tool into $IR_RUNTIME_DIR/bin (default ~/.cache/identity-ir/bin), built with Go from
# the module proxy once. Prints the directory holding `temporal-server` and `temporal-sql-tool`.
# Used by scripts/temporal-cluster.sh: the production-shaped server (PostgreSQL, not the dev server).
set -euo pipefail
TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-v1.29.1}"
bin_dir="${IR_RUNTIME_DIR:-$HOME/.cache/identity-ir}/bin"
stamp="$bin_dir/temporal-server.version"

if [ -x "$bin_dir/temporal-server" ] && [ -x "$bin_dir/temporal-sql-tool" ] \
  && [ "$(cat "$stamp" 2>/dev/null)" = "$TEMPORAL_SERVER_VERSION" ]; then
  echo "$bin_dir"; exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-temporal-server: no Go toolchain to build go.temporal.io/server $TEMPORAL_SERVER_VERSION." >&2
  exit 1
fi
mkdir -p "$bin_dir"
echo "install-temporal-server: building go.temporal.io/server $TEMPORAL_SERVER_VERSION and temporal-sql-tool with go install (takes a few minutes once)" >&2
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
GOBIN="$build" GOFLAGS="-trimpath" go install \
  "go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}" \
  "go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}" >&2
mv "$build/server" "$bin_dir/temporal-server"
mv "$build/sql" "$bin_dir/temporal-sql-tool"
echo "$TEMPORAL_SERVER_VERSION" > "$stamp"
echo "$bin_dir"
