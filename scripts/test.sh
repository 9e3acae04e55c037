#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need, then cargo test.
#  - Python test tools (alpaca-py, pinned in tests/sdk/requirements.txt): into a virtual
#    environment under target/, never the system Python (Debian and Ubuntu refuse that, PEP 668).
#    The venv is reused while the requirements file is unchanged.
#  - systemd-analyze: the unit and timer tests (no running systemd manager is needed); installed
#    only when missing and running as root, else one line says what to install.
#  - groff: the man page tests render every page with warnings on; the same rule.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "scripts/test.sh: $*" >&2; }
python=${PYTHON:-python3}
venv=target/test-venv
requirements=tests/sdk/requirements.txt
stamp="$venv/.requirements.sha256"
# pip for a Python without ensurepip (Debian without python3-venv): pinned wheel from PyPI.
pip_wheel_url=https://files.pythonhosted.org/packages/ef/7d/500c9ad20238fcfcb4cb9243eede163594d7020ce87bd9610c9e02771876/pip-24.3.1-py3-none-any.whl
pip_wheel_sha256=3790624780082365f47549d032f3770eeb2b1e8bd1f7b2e02dace1afa361b4ed

command -v "$python" >/dev/null || { say "python3 not found: install Python 3 (Debian: apt-get install python3)"; exit 1; }

make_venv() {
    rm -rf "$venv"
    if "$python" -m venv "$venv" >/dev/null 2>&1; then
        return
    fi
    # No ensurepip: a venv without pip, then pip from its wheel (a wheel runs as a zip app).
    rm -rf "$venv"
    "$python" -m venv --without-pip "$venv" || { say "cannot create a virtual environment with $python: install python3-venv"; exit 1; }
    local wheel="$venv/pip-24.3.1-py3-none-any.whl"
    "$venv/bin/python" - "$pip_wheel_url" "$pip_wheel_sha256" "$wheel" <<'PY' || { say "cannot download pip for the test venv: install python3-venv (Debian: apt-get install python3-venv)"; exit 1; }
import hashlib, sys, urllib.request
url, sha, dest = sys.argv[1:]
data = urllib.request.urlopen(url, timeout=60).read()
if hashlib.sha256(data).hexdigest() != sha:
    sys.exit("pip wheel digest mismatch")
open(dest, "wb").write(data)
PY
    "$venv/bin/python" "$wheel/pip" install --quiet --disable-pip-version-check "$wheel"
    rm -f "$wheel"
}

want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing Python test tools into $venv"
    make_venv
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" \
        || { say "cannot install $requirements into $venv (is PyPI reachable?)"; exit 1; }
    echo "$want" >"$stamp"
fi
# The tests run Python tools from here (tests/it/common: python()).
AURORA_TEST_PYTHON="$(pwd)/$venv/bin/python"
export AURORA_TEST_PYTHON

if ! command -v systemd-analyze >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq systemd >/dev/null
    else
        say "systemd-analyze not found: install systemd (Debian: sudo apt-get install systemd)"
        exit 1
    fi
fi

if ! command -v groff >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq groff-base >/dev/null
    else
        say "groff not found: install groff-base (Debian: sudo apt-get install groff-base)"
        exit 1
    fi
fi

cargo test --locked "$@"
