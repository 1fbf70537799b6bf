#!/usr/bin/env bash
# Installs the pinned Keycloak server distribution from Maven Central into
# $IR_RUNTIME_DIR/keycloak-<version> (default ~/.cache/identity-ir, shared by every checkout).
# Prints the Keycloak home directory.
set -euo pipefail
KEYCLOAK_VERSION="${KEYCLOAK_VERSION:-26.7.3}"
runtime="${IR_RUNTIME_DIR:-$HOME/.cache/identity-ir}"
home="$runtime/keycloak-$KEYCLOAK_VERSION"

if [ -x "$home/bin/kc.sh" ]; then echo "$home"; exit 0; fi
command -v mvn >/dev/null 2>&1 || { echo "install-keycloak: Maven (mvn) is needed to fetch Keycloak from Maven Central" >&2; exit 1; }
mkdir -p "$runtime/downloads"
echo "install-keycloak: fetching org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION (tar.gz) from Maven Central" >&2
mvn -q -B dependency:copy \
  -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" \
  -DoutputDirectory="$runtime/downloads" >&2
mkdir -p "$runtime"
tar -xzf "$runtime/downloads/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz" -C "$runtime"
if [ -d "$runtime/keycloak-$KEYCLOAK_VERSION" ]; then :; else
  echo "install-keycloak: archive did not contain keycloak-$KEYCLOAK_VERSION/" >&2; exit 1
fi
echo "$home"
