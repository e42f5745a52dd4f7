#!/usr/bin/env bash
# Runs the tests against a real LiveKit server in a network namespace of their own.
#
# The WebRTC client in the test offers ICE candidates on every non-loopback interface and
# LiveKit sends media checks to them. Inside a fresh namespace the only interfaces are
# loopback and a veth pair carrying 10.203.0.1, so no packet can leave the machine.
# Needs root (or CAP_SYS_ADMIN) for unshare, and iproute2.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(scripts/install-livekit.sh)
go test -c -o "${TMPDIR:-/tmp}/parley-httpapi.test" ./internal/httpapi/
exec unshare --net bash -c '
  set -e
  ip link set lo up
  ip link add pl0 type veth peer name pl1
  ip addr add 10.203.0.1/24 dev pl0
  ip link set pl0 up
  ip link set pl1 up
  cd internal/httpapi
  PARLEY_TEST_LIVEKIT="$0" "${TMPDIR:-/tmp}/parley-httpapi.test" -test.run "LiveKitServer" -test.v
' "$bin"
