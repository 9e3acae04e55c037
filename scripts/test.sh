#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need, then cargo test.
#  - alpaca-py (pinned): the independent client that proves the fake parses with Alpaca's SDK;
#  - systemd-analyze: the unit and timer tests (no running systemd manager is needed).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r tests/sdk/requirements.txt
if ! command -v systemd-analyze >/dev/null; then
    apt-get update -qq && apt-get install -y -qq systemd >/dev/null
fi
cargo test --locked "$@"
