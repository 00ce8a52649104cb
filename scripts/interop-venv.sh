#!/usr/bin/env bash
# Creates (once) the throwaway Python virtual environment the interoperability tests use,
# at .build/interop-venv, and installs Tests/Interop/requirements.txt into it.
# Idempotent: a venv whose requirements are already installed is left as it is.
# The Swift tests find it at .build/interop-venv/bin/python3 (or $MESSAGING_INTEROP_PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.build/interop-venv
requirements=Tests/Interop/requirements.txt
stamp="$venv/.requirements.sha256"
python=${PYTHON:-python3}

if ! command -v "$python" >/dev/null 2>&1; then
    echo "==> interop venv: $python not found; installing python3 with apt-get"
    bash scripts/ensure-packages.sh python3
fi

if [ ! -x "$venv/bin/python3" ]; then
    echo "==> interop venv: creating $venv"
    mkdir -p .build
    if ! "$python" -m venv "$venv" 2>/dev/null; then
        echo "==> interop venv: '$python -m venv' failed; installing python3-venv with apt-get"
        rm -rf "$venv"
        bash scripts/ensure-packages.sh python3-venv
        "$python" -m venv "$venv"
    fi
fi

wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    echo "==> interop venv: up to date ($venv)"
    exit 0
fi

echo "==> interop venv: installing $(grep -cvE '^\s*(#|$)' "$requirements") packages from $requirements"
"$venv/bin/python3" -m pip install --quiet --disable-pip-version-check --requirement "$requirements"
echo "$wanted" > "$stamp"
echo "==> interop venv: ready ($("$venv/bin/python3" -c 'import jwt, nacl, botocore, moto, selenium; print("PyJWT", jwt.__version__, "PyNaCl", nacl.__version__, "botocore", botocore.__version__, "moto", moto.__version__, "selenium", selenium.__version__)'))"
