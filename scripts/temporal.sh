#!/usr/bin/env bash
# Runs the pinned Temporal dev server (a real Temporal server on SQLite, with the Web UI) in the foreground.
#   TEMPORAL_PORT (7233), TEMPORAL_UI_PORT (8233), TEMPORAL_DB (.runtime/temporal.db; "memory" for none)
#   TEMPORAL_UI_CODEC_ENDPOINT (http://127.0.0.1:3000/codec: the API decrypts payloads for the UI)
# Search attributes are registered by the worker and by `npm start` (flags are ignored on an existing db).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
temporal="$("$here/scripts/install-temporal.sh")"
port="${TEMPORAL_PORT:-7233}"
ui_port="${TEMPORAL_UI_PORT:-8233}"
db="${TEMPORAL_DB:-$here/.runtime/temporal.db}"
args=(server start-dev --ip 127.0.0.1 --port "$port" --ui-port "$ui_port" --log-level warn
  --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal
  --dynamic-config-value frontend.enableExecuteMultiOperation=true
  --dynamic-config-value frontend.enableUpdateWorkflowExecution=true
  --dynamic-config-value matching.numTaskqueueReadPartitions=1
  --dynamic-config-value matching.numTaskqueueWritePartitions=1)
if [ "$db" != "memory" ]; then mkdir -p "$(dirname "$db")"; args+=(--db-filename "$db"); fi
[ "${TEMPORAL_HEADLESS:-}" = "1" ] && args+=(--headless)
codec="${TEMPORAL_UI_CODEC_ENDPOINT-http://127.0.0.1:${API_PORT:-3000}/codec}"
[ -n "$codec" ] && args+=(--ui-codec-endpoint "$codec")
exec "$temporal" "${args[@]}"
