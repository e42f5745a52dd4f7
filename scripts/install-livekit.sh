#!/bin/sh
# Installs LiveKit server v1.8.4 from its Go module into a cache folder, for the
# tests that run Parley's livekit media backend against a real media server.
#
# Why from source: the module proxy is the one place every build machine can
# reach; v1.8.4 is the newest version whose dependencies the proxy serves.
#
# Usage: scripts/install-livekit.sh            installs (or finds) the binary
#        prints the binary's path on stdout as its last line.
# LIVEKIT_BIN overrides the destination path.
set -eu

version=1.8.4
cache=${XDG_CACHE_HOME:-$HOME/.cache}/parley/livekit-$version
bin=${LIVEKIT_BIN:-$cache/livekit-server}

if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$(dirname "$bin")"
dir=$(go mod download -json "github.com/livekit/livekit-server@v$version" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
	echo "install-livekit: go mod download gave no source directory" >&2
	exit 1
fi

# The module cache is read-only; build in a writable copy so go can write go.sum.
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp -R "$dir" "$work/src"
chmod -R u+w "$work/src"
cd "$work/src"
echo "install-livekit: building livekit-server v$version (takes a few minutes)" >&2
go build -trimpath -o "$bin.tmp" ./cmd/server
mv "$bin.tmp" "$bin"
echo "$bin"
