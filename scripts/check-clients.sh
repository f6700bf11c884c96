#!/usr/bin/env bash
# The contract's examples are valid, and generated clients use it without casts:
# - a Python client (openapi-python-client) must pass `mypy --strict` on
#   tests/clients/python/journey.py;
# - TypeScript types (openapi-typescript, with openapi-fetch) must compile
#   tests/clients/typescript/journey.ts under `tsc --strict`.
# Tools are pinned and installed once under target/clients.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
work="$root/target/clients"
mkdir -p "$work"

python_tools=("openapi-python-client==0.29.1" "mypy==2.4.1" "attrs==26.1.0" "httpx==0.28.1"
  "python-dateutil==4.0.0" "jsonschema==4.25.1")
marker="$work/venv/.installed-$(echo "${python_tools[*]}" | sha256sum | cut -c1-12)"
if [ ! -f "$marker" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q "${python_tools[@]}"
  touch "$marker"
fi

echo "--- Examples: each validates against the schema it illustrates (JSON Schema 2020-12)"
"$work/venv/bin/python" tests/clients/examples.py openapi/openapi.json

echo "--- Python client: openapi-python-client + mypy --strict"
rm -rf "$work/python" && mkdir -p "$work/python"
"$work/venv/bin/openapi-python-client" generate --path openapi/openapi.json --meta none \
  --output-path "$work/python/ce_api_client" --config tests/clients/python/openapi-python-client.yaml \
  > "$work/python/generate.log" 2>&1 || { cat "$work/python/generate.log"; exit 1; }
if grep -qiE "warning|error" "$work/python/generate.log"; then
  cat "$work/python/generate.log"
  echo "openapi-python-client left parts of the contract out (above)"
  exit 1
fi
cp tests/clients/python/journey.py "$work/python/"
(cd "$work/python" && "$work/venv/bin/mypy" --strict --no-incremental journey.py)

echo "--- TypeScript types: openapi-typescript + openapi-fetch, tsc --strict"
if ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
if [ ! -x "$work/node/node_modules/.bin/tsc" ]; then
  mkdir -p "$work/node"
  (cd "$work/node" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent \
    "typescript@5.9.3" "openapi-typescript@7.13.0" "openapi-fetch@0.17.0")
fi
rm -rf "$work/typescript" && mkdir -p "$work/typescript"
cp tests/clients/typescript/journey.ts tests/clients/typescript/tsconfig.json "$work/typescript/"
ln -s "$work/node/node_modules" "$work/typescript/node_modules"
"$work/node/node_modules/.bin/openapi-typescript" openapi/openapi.json -o "$work/typescript/schema.d.ts" --silent
(cd "$work/typescript" && ./node_modules/.bin/tsc -p tsconfig.json)
echo "Generated clients type-check."
