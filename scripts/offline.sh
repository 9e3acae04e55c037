#!/usr/bin/env bash
# Runs Aurora offline: starts the fake Alpaca on loopback, then `aurora preflight` and
# `aurora status` against it with a throw-away state directory. No keys, no network.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --locked --release --quiet
aurora=./target/release/aurora
work=$(mktemp -d)
trap 'kill "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

# A Monday morning: 09:05 CT, the market open.
"$aurora" sim serve --now 2026-11-30T15:05:00Z >"$work/url" &
sim_pid=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.05; done
base=$(head -n 1 "$work/url")

export APCA_API_KEY_ID=PKSIMKEY0000000000 APCA_API_SECRET_KEY=sim-secret-do-not-use
export APCA_API_BASE_URL=$base APCA_API_DATA_URL=$base
export AURORA_STATE_DIR=$work/state AURORA_ENV_FILE=$work/none.env AURORA_CONFIG=$work/none.toml
touch "$AURORA_CONFIG"

echo "== fake Alpaca at $base"
echo "== aurora preflight"
"$aurora" preflight
echo
echo "== aurora status"
"$aurora" status
