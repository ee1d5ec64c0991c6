#!/usr/bin/env bash
# Refreshes requirements/test.lock, the exact versions and hashes tests/run.sh installs:
# pyproject.toml's runtime dependencies, its `test` extra and its build requirement,
# resolved for CPython 3.11 on Linux x86_64 (this machine and CI's).
#
#   bash requirements/lock.sh               after a change to pyproject.toml's dependencies:
#                                           keeps every pin that still fits, adds and drops
#   bash requirements/lock.sh --upgrade     moves every pin to the newest release that fits
#
# Any other uv option is passed on (e.g. --upgrade-package redis). uv is installed with
# pip if missing: it resolves in about a second and writes pip's --require-hashes format.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v uv >/dev/null || python3 -m pip install -q uv

# setuptools is locked too, so that `pip install --no-build-isolation -e .` builds with
# a pinned one rather than whatever is newest on the index that day.
python3 -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
  | uv pip compile pyproject.toml - --extra test --generate-hashes \
      --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
      --custom-compile-command "bash requirements/lock.sh" \
      --output-file requirements/test.lock --quiet "$@"
