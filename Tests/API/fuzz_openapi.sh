#!/usr/bin/env bash
# Property-based fuzzing of docs/openapi.yaml against a throwaway Portcullis, with Schemathesis.
#
# Usage: Tests/API/fuzz_openapi.sh PATH/TO/portcullis
#
# Starts `portcullis serve` on a free loopback port in a temporary directory (throttles off, cheap
# password hashing, mail to files), makes an admin account, a second account for the admin routes to
# act on and a service client, then runs `schemathesis run` (phases examples, coverage and fuzzing)
# with a fixed seed and a bounded number of examples per operation, one request at a time.
# Authentication and test data come from Tests/API/schemathesis_hooks.py. Fails on any 5xx, any
# status the operation does not list, a content type, body or documented header that does not match
# the spec, or an operation that needs credentials and answers without them. The server is stopped
# and the directory removed on exit, failure or interruption included. Takes about a minute.
#
# Environment: FUZZ_MAX_EXAMPLES (default 25), FUZZ_SEED (default 20261202), FUZZ_REPORT_DIR (write
# JUnit and HAR reports there), API_TESTS_OPENAPI (another spec file), API_TESTS_KEEP_TMP=1 (keep
# the temporary directory: server log and mail).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 PATH/TO/portcullis" >&2
  exit 2
fi
BINARY=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -x "$BINARY" ] || { echo "not an executable: $1" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SPEC=${API_TESTS_OPENAPI:-$ROOT/docs/openapi.yaml}
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-25}
SEED=${FUZZ_SEED:-20261202}
STARTED=$(date +%s)

WORK=$(mktemp -d /tmp/portcullis-fuzz.XXXXXX)
SERVER_PID=
SCHEMATHESIS_PID=
cleanup() {
  status=$?
  if [ -n "$SCHEMATHESIS_PID" ] && kill -0 "$SCHEMATHESIS_PID" 2>/dev/null; then
    kill -TERM "$SCHEMATHESIS_PID" 2>/dev/null || true
    wait "$SCHEMATHESIS_PID" 2>/dev/null || true
  fi
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "${API_TESTS_KEEP_TMP:-}" = 1 ]; then
    echo "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

mkdir "$WORK/mail"
cd "$WORK"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
"$BINARY" serve --host 127.0.0.1 --port "$PORT" --mail "file:$WORK/mail" --login-throttle off \
  --scrypt-log-n 10 --hash-priority normal --log-level warning >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 300); do
  if curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "the server exited:" >&2; tail -20 "$WORK/server.log" >&2; exit 1
  fi
  sleep 0.1
done
if ! curl -fsS -o /dev/null "$URL/healthz"; then
  echo "the server did not start:" >&2; tail -20 "$WORK/server.log" >&2; exit 1
fi

# Accounts and a service client for the hooks, made with the admin command line on the same store.
# The command line reads the hashing settings from the environment (flags win for `serve`).
export PORTCULLIS_SCRYPT_LOG_N=10 PORTCULLIS_HASH_PRIORITY=normal
export FUZZ_URL="$URL"
export FUZZ_EMAIL=fuzz-admin@example.com
export FUZZ_PASSWORD=Quartz-Meadow-Signal-58
json_member() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
echo "$FUZZ_PASSWORD" | "$BINARY" users create --email "$FUZZ_EMAIL" --role admin --password-stdin \
  >/dev/null
victim=$(echo "$FUZZ_PASSWORD" | "$BINARY" users create --email fuzz-victim@example.com --password-stdin)
client=$("$BINARY" clients create --name fuzz)
FUZZ_VICTIM_ID=$(json_member "$victim" id)
FUZZ_CLIENT_ID=$(json_member "$client" client_id)
FUZZ_CLIENT_SECRET=$(json_member "$client" client_secret)
export FUZZ_CLIENT_ID FUZZ_CLIENT_SECRET FUZZ_VICTIM_ID

export PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}"
export SCHEMATHESIS_HOOKS=schemathesis_hooks
export PYTHONHASHSEED=0

# Schemathesis's own checks, `ignored_auth` (an operation that needs credentials must refuse a request
# without them), and `status_code_listed` from the hooks (Schemathesis's `status_code_conformance`
# accepts any status because every operation has a `default` response). Not used:
# `negative_data_rejection` (the spec documents lenient inputs the schemas cannot express: a
# non-integer `after` means 0, non-string JSON members of the OAuth bodies are ignored, pages answer a
# missing cookie with a 303 to the sign-in page), `positive_data_acceptance` (valid-looking but wrong
# credentials are refused by design), `unsupported_method` (the spec promises 404, not 405).
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
CHECKS=$CHECKS,response_headers_conformance,ignored_auth,status_code_listed

# schemathesis.toml bounds the reading of GET /v1/revocations/stream, an endless event stream.
# Schemathesis runs in the background so that a signal to this script stops it (and the server) at
# once: bash runs traps only between commands, and `wait` is interruptible.
set +e
schemathesis --config-file "$HERE/schemathesis.toml" run "$SPEC" \
  --url "$URL" \
  --seed "$SEED" \
  --max-examples "$MAX_EXAMPLES" \
  --phases examples,coverage,fuzzing \
  --checks "$CHECKS" \
  --workers 1 \
  --request-timeout 10 \
  --generation-database none \
  --suppress-health-check all \
  --no-color \
  ${FUZZ_REPORT_DIR:+--report junit,har --report-dir "$FUZZ_REPORT_DIR"} &
SCHEMATHESIS_PID=$!
wait "$SCHEMATHESIS_PID"
status=$?
SCHEMATHESIS_PID=
set -e

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "the server died during the run:" >&2
  tail -20 "$WORK/server.log" >&2
  status=1
fi
if grep -q '"level":"\(error\|critical\)"' "$WORK/server.log"; then
  echo "the server logged errors:" >&2
  grep '"level":"\(error\|critical\)"' "$WORK/server.log" | head -20 >&2
fi
echo "fuzz_openapi: schemathesis exit status $status, $(( $(date +%s) - STARTED )) s" \
  "(seed $SEED, at most $MAX_EXAMPLES examples per operation)"
exit $status
