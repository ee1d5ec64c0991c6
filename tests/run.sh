#!/usr/bin/env bash
# Runs the whole test suite, first installing whatever it needs and is missing:
# Debian's redis-server, chromium and CJK fonts; the Python packages pinned in
# requirements/test.lock; axe-core.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
{ command -v fc-list >/dev/null && fc-list | grep -qi "Noto Sans CJK"; } || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# A venv of the suite's own, holding exactly the versions and hashes of the lock
# (refreshed by `bash requirements/lock.sh`) and nothing else: a new release of a
# dependency changes nothing here until the lock is refreshed, and no package the
# machine happens to have (a pytest plugin that turns itself on, say) takes part.
# Then Yishi itself, built with the lock's setuptools.
venv="${YISHI_TEST_VENV:-$PWD/.venv-tests}"
[ -x "$venv/bin/python3" ] || python3 -m venv "$venv"
export PATH="$venv/bin:$PATH" VIRTUAL_ENV="$venv"
python3 -m pip install -q --disable-pip-version-check --require-hashes -r requirements/test.lock
python3 -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .

# axe-core for the accessibility audit, from the npm registry, kept out of the repo.
if [ -f tests/e2e/package.json ] && [ ! -d tests/e2e/node_modules/axe-core ]; then
  (cd tests/e2e && npm install --no-audit --no-fund --silent)
fi

# The suite starts hundreds of Python processes (servers, nodes, the command line) on
# the same sources, and each worker imports every test module: with bytecode caches
# (__pycache__/, ignored by git) each is compiled, and each test module's asserts
# rewritten, once instead of every time.
unset PYTHONDONTWRITEBYTECODE

# Six workers on two cores (a fresh clone's whole run: 7.5 min with four, 6.5 with six):
# most tests wait on servers, sockets and the browser, not on the CPU. Each worker starts with a run of consecutive tests (a module's shared server
# stays in one worker) and an idle one takes over half of another's remaining run
# (--dist worksteal), so one slow test does not hold up the end. Arguments given here
# come after these, so `-n 0` runs in one process.
exec python3 -m pytest -n "${YISHI_TEST_WORKERS:-6}" --dist worksteal "$@"
