#!/usr/bin/env bash
# Installs Chromium from Debian's packages when none is installed (the console's browser test drives
# it with playwright-core, which downloads no browser). Prints its path. Needs root (or sudo) the
# first time. CHROMIUM_PATH overrides where the tests look.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then echo /usr/bin/chromium; exit 0; fi
sudo_=()
if [ "$(id -u)" != "0" ]; then sudo_=(sudo); fi
echo "install-chromium: installing chromium from Debian's packages" >&2
"${sudo_[@]}" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive "${sudo_[@]}" apt-get install -y -qq --no-install-recommends chromium >&2
echo /usr/bin/chromium
