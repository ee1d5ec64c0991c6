#!/usr/bin/env bash
# Runs the write-path tests under each uvicorn release in the range pyproject.toml
# declares (and the one just below it, which must fall back to ASGI), each in a
# scratch virtual environment. Run it before widening the range: read the diff of
# uvicorn/protocols/websockets/websockets_sansio_impl.py first (server/uvicorn_parts.py
# says what it relies on), then raise uvicorn_parts.VERSIONS and pyproject.toml together.
#   bash tests/server/uvicorn_matrix.sh 0.52.0 0.52.1 0.53.0 0.54.0
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=$(mktemp -d)/venv
python3 -m venv "$venv"
"$venv/bin/pip" install -q -e '.[test]'
for version in "$@"; do
  "$venv/bin/pip" install -q "uvicorn[standard]==$version" 2>/dev/null
  echo "== uvicorn $version"
  "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/server/test_write_paths.py tests/node
done
