#!/usr/bin/env bash
# Lints the committed contract (openapi/openapi.json) with Redocly CLI's recommended rules:
# any error fails. Redocly is installed once under target/tools (npm; Node.js from Debian's
# packages when the machine has none).
set -euo pipefail
cd "$(dirname "$0")/.."

REDOCLY_VERSION="2.77.0"
tools="target/tools/redocly-$REDOCLY_VERSION"

if ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
if [ ! -x "$tools/node_modules/.bin/redocly" ]; then
  mkdir -p "$tools"
  (cd "$tools" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "@redocly/cli@$REDOCLY_VERSION")
fi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
"$tools/node_modules/.bin/redocly" lint openapi/openapi.json --config redocly.yaml --format=codeframe
