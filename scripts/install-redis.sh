#!/usr/bin/env bash
# Installs the Redis server from Debian's packages when none is installed (the shared rate-limit
# store the API tests run against; API_RATE_LIMIT_REDIS_URL in production). Prints its path.
# Needs root (or sudo) the first time.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then command -v redis-server; exit 0; fi
sudo_=()
if [ "$(id -u)" != "0" ]; then sudo_=(sudo); fi
echo "install-redis: installing redis-server from Debian's packages" >&2
"${sudo_[@]}" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive "${sudo_[@]}" apt-get install -y -qq --no-install-recommends redis-server >&2
# The package starts a system service; the tests run their own server on their own port.
"${sudo_[@]}" systemctl disable --now redis-server >/dev/null 2>&1 || "${sudo_[@]}" service redis-server stop >/dev/null 2>&1 || true
command -v redis-server
