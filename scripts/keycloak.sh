#!/usr/bin/env bash
# Runs the pinned Keycloak in dev mode on loopback with the `corp` test realm imported, in the foreground.
#   KEYCLOAK_PORT (18080), KEYCLOAK_MANAGEMENT_PORT (19000), KEYCLOAK_DATA_DIR (.runtime/keycloak: H2 file)
# The bootstrap admin (admin/admin) exists only for this local, loopback-only server.
# Shared Signals (experimental in 26.7): the transmitter feature on; pushes to http allowed only
# because every receiver of this server is on loopback; the push outbox drained every second.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
kc_home="$("$here/scripts/install-keycloak.sh")"
export JAVA_HOME="$("$here/scripts/java-home.sh" 21)"
port="${KEYCLOAK_PORT:-18080}"
mgmt_port="${KEYCLOAK_MANAGEMENT_PORT:-19000}"
data_dir="${KEYCLOAK_DATA_DIR:-$here/.runtime/keycloak}"
mkdir -p "$data_dir"
# --import-realm reads $kc_home/data/import and skips realms the database already has.
mkdir -p "$kc_home/data/import"
cp "$here/scripts/keycloak/corp-realm.json" "$kc_home/data/import/corp-realm.json"

export KC_BOOTSTRAP_ADMIN_USERNAME="${KC_BOOTSTRAP_ADMIN_USERNAME:-admin}"
export KC_BOOTSTRAP_ADMIN_PASSWORD="${KC_BOOTSTRAP_ADMIN_PASSWORD:-admin}"
export JAVA_OPTS_KC_HEAP="${JAVA_OPTS_KC_HEAP:--Xms128m -Xmx768m}"
# On Java 24+ Keycloak's worker threads need java.lang opened to reset thread locals; without it
# they die at start ("IllegalAccessError ... thread-local-reset capability") and requests handled
# there can fail at random.
export JAVA_OPTS_APPEND="${JAVA_OPTS_APPEND:-} --add-opens=java.base/java.lang=ALL-UNNAMED"
exec "$kc_home/bin/kc.sh" start-dev \
  --http-host 127.0.0.1 --http-port "$port" \
  --http-management-port "$mgmt_port" --health-enabled true \
  --db dev-file --db-url "jdbc:h2:file:$data_dir/keycloakdb;NON_KEYWORDS=VALUE" \
  --import-realm \
  --features=ssf \
  --spi-ssf-transmitter--default--allow-insecure-push-targets=true \
  --spi-ssf-transmitter--default--outbox-drainer-interval=1s \
  --log-level warn,org.keycloak.services:info
