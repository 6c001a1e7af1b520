#!/usr/bin/env bash
# schemathesis (PyPI) against the server's own OpenAPI document, with a
# valid admin token: no 5xx, and every answer conforms to the document
# (status codes, content types, headers, bodies). A bounded run on the demo
# city with the release binary (built here if missing), on a scratch store.
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${SCHEMATHESIS_EXAMPLES:-30}
if ! command -v schemathesis >/dev/null 2>&1; then
  python3 -m pip install --quiet 'schemathesis==4.32.5'
fi
# shellcheck source=lib/demo-server.sh
. scripts/lib/demo-server.sh
RISKMAP_ADMIN_PASSWORD=schemathesis-admin start_demo_server --no-simulator --requests-per-second 0
token=$(curl -sf -X POST "$base/api/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"schemathesis-admin"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# Left out: logout (it would revoke the token under test), /ws (an upgrade,
# not a REST call; tests/e2e/live_ws.rs covers it), and layer imports (a
# random import replaces a layer; tests/e2e/ogc_import.rs covers them).
out=$(mktemp "${TMPDIR:-/tmp}/schemathesis.XXXXXX")
check_api() {
  schemathesis run "$base/api/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --max-examples "$examples" --seed 20261123 --workers 2 \
    --exclude-path /api/auth/logout --exclude-path /ws --exclude-operation-id ogcImport \
    2>&1 | tee "$out"
  return "${PIPESTATUS[0]}"
}
failed() { echo "schemathesis failed; the server's log:" >&2; tail -50 "$server_log" >&2; rm -f "$out"; exit 1; }
if ! check_api; then
  # A crash of the tool's own generator ("Runtime Error": CPython's "AST
  # constructor recursion depth mismatch" inside hypothesis, seen once with
  # two workers) is not the API failing: it gets one more run. A failed
  # check (❌) is never run again.
  if grep -q 'Runtime Error' "$out" && ! grep -q '❌' "$out"; then
    echo "schemathesis crashed inside its generator; once more" >&2
    check_api || failed
  else
    failed
  fi
fi
rm -f "$out"
