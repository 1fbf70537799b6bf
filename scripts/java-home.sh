#!/usr/bin/env bash
# Prints a JAVA_HOME whose major version is at least $1 (default 21): $JAVA_HOME first, then /usr/lib/jvm/*.
set -euo pipefail
need="${1:-21}"
major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}'; }
for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
  [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
  v="$(major "$candidate")"; v="${v%%.*}"
  if [ -n "$v" ] && [ "$v" -ge "$need" ]; then echo "$candidate"; exit 0; fi
done
echo "java-home: no JDK >= $need found (JAVA_HOME or /usr/lib/jvm); Keycloak needs one" >&2
exit 1
