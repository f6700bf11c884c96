#!/usr/bin/env bash
# Fuzzes the running service against its own OpenAPI document with schemathesis.
# Starts the debug binary on a fresh SQLite file with demo data, runs every check, and fails
# on any finding. Every check runs (schemathesis's default); the few per-operation exceptions
# live in schemathesis.toml with their reasons (a `--checks all` flag would override them).
# One worker: with two, Python 3.11's ast module can crash inside hypothesis ("AST constructor
# recursion depth mismatch"), which schemathesis reports as an error.
# Usage: scripts/schemathesis.sh [max seconds, default 150]
set -euo pipefail
cd "$(dirname "$0")/.."
max_time="${1:-150}"
binary=target/debug/ce-api
[ -x "$binary" ] || cargo build

if ! command -v st >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi

workdir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Request quotas off: every fuzzed request comes from one address, and a quota would turn the
# rest of the run into 429s (the quotas have their own tests in the suite).
export CE_DATABASE_URL="$workdir/fuzz.db" CE_BIND="127.0.0.1:$port" CE_LOG=warn CE_RATE_LIMITS=off
"$binary" seed-demo
"$binary" serve > "$workdir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$workdir"' EXIT
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done

# Authenticated as the demo administrator, so the fuzzer reaches past the 401s. The token
# lives 15 minutes, longer than the run.
token=$(curl -fsS "http://127.0.0.1:$port/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email": "admin@demo.ce-api.dev", "password": "demo-admin-password"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

st run "http://127.0.0.1:$port/openapi.json" \
  --header "Authorization: Bearer $token" \
  --max-time "$max_time" \
  --workers 1 \
  --seed 1 \
  --suppress-health-check too_slow
