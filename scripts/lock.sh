#!/usr/bin/env bash
# Writes requirements/*.txt: one hashed lock per set of extras, from pyproject.toml (uv pip compile).
# `scripts/lock.sh` keeps every pin already in a lock and adds only what pyproject.toml newly
# asks for; `scripts/lock.sh --upgrade` moves every pin to the newest release the ranges allow.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
UPGRADE=()
[ "${1:-}" = "--upgrade" ] && UPGRADE=(--upgrade)
mkdir -p requirements

compile() {  # compile OUT [--extra X]...: one lock, its pins held to the full lock's versions
  local out=$1; shift
  local constraint=()
  [ "$out" != requirements/paddle-test.txt ] && constraint=(-c requirements/paddle-test.txt)
  "$UV" pip compile pyproject.toml "$@" "${constraint[@]}" "${UPGRADE[@]}" \
    --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
    --no-header --quiet -o "$out"
  echo "wrote $out ($(grep -c '==' "$out") pins)"
}

# The full set first: the smaller locks are held to its versions, so all four agree.
compile requirements/paddle-test.txt --extra test --extra paddle
compile requirements/test.txt --extra test
compile requirements/paddle.txt --extra paddle
compile requirements/base.txt
