#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine, then runs them.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v tmux >/dev/null || need+=(tmux)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

# The real Claude Code CLI, for the plugin tests (they skip with the reason where npm is missing).
if command -v npm >/dev/null && [ ! -x .node/node_modules/.bin/claude ]; then
  npm install --silent --no-audit --no-fund --prefix .node '@anthropic-ai/claude-code@^2.1' >/dev/null \
    || echo "tests/run.sh: npm could not install @anthropic-ai/claude-code; the plugin tests use the Agent SDK's CLI or skip" >&2
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
exec .venv/bin/python -m pytest -q "$@"
