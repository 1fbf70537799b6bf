#!/usr/bin/env bash
# Installs the PostgreSQL server from Debian's packages when none is installed (for the
# production-shaped Temporal in scripts/temporal-cluster.sh). Needs root (or sudo) the first time.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then exit 0; fi
sudo_=()
if [ "$(id -u)" != "0" ]; then sudo_=(sudo); fi
echo "install-postgres: installing postgresql from Debian's packages" >&2
"${sudo_[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_[@]}" apt-get install -y -qq postgresql >&2
