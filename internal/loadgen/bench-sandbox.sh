#!/usr/bin/env bash
# bench-sandbox.sh is `make bench-sandbox`: the same load (internal/loadgen:
# GET /links/{id}, 64 keep-alive workers) against the banklink sandbox
# served standalone and then against Stoplight Prism mocking
# api/openapi.yaml, one after the other, and their req/s ratio.
#
# Each server runs in the background on a free loopback port and is stopped
# when its run ends (or when this script exits). Prism is installed from
# internal/loadgen/prism/package-lock.json on first use (needs node and npm;
# Prism 5.16 declares node >= 24 but runs on node 20).
#
# LOADGEN_DURATION (default 10s), LOADGEN_WARMUP (2s) and
# LOADGEN_CONCURRENCY (64) tune the load; both servers get the same.
set -euo pipefail

cd "$(dirname "$0")/../.."
GO=${GO:-go}
DURATION=${LOADGEN_DURATION:-10s}
WARMUP=${LOADGEN_WARMUP:-2s}
CONCURRENCY=${LOADGEN_CONCURRENCY:-64}
PRISM_DIR=internal/loadgen/prism
PRISM=$PRISM_DIR/node_modules/.bin/prism

tmp=$(mktemp -d)
server_pid=""

stop_server() {
	if [[ -n $server_pid ]]; then
		# The server runs in its own process group (setsid), so this reaches
		# any process it forked, and nothing else.
		kill -TERM -- "-$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=""
	fi
}
cleanup() {
	stop_server
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server LOG CMD...: start CMD in the background in a new process group.
start_server() {
	local log=$1
	shift
	setsid "$@" >"$log" 2>&1 &
	server_pid=$!
}

# wait_ready URL LOG: wait for the server to answer HTTP, or show its log.
wait_ready() {
	if ! "$tmp/loadgen" -wait "$1" -wait-timeout 60s; then
		echo "server did not come up; its output:" >&2
		cat "$2" >&2
		exit 1
	fi
}

load() { # name url extra-args...
	local name=$1 url=$2
	shift 2
	echo "== $name: $CONCURRENCY workers, ${WARMUP} warm-up, ${DURATION} measured" >&2
	"$tmp/loadgen" -name "$name" -url "$url" -concurrency "$CONCURRENCY" -warmup "$WARMUP" \
		-duration "$DURATION" -json "$tmp/$name.json" "$@"
}

echo "building banklink and loadgen" >&2
"$GO" build -o "$tmp/banklink" ./cmd/banklink
"$GO" build -o "$tmp/loadgen" ./internal/loadgen

if [[ ! -x $PRISM ]]; then
	if ! command -v npm >/dev/null; then
		echo "bench-sandbox needs node and npm to install Stoplight Prism" >&2
		exit 1
	fi
	echo "installing Stoplight Prism (pinned in $PRISM_DIR/package-lock.json)" >&2
	# --ignore-scripts: Prism needs no install scripts, and one of its
	# dependencies would otherwise run an analytics postinstall.
	(cd "$PRISM_DIR" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
echo "Prism $("$PRISM" --version) on node $(node --version); $("$GO" version)" >&2

# 1. The sandbox, standalone, without rate limits.
port=$("$tmp/loadgen" -free-port)
start_server "$tmp/sandbox.log" "$tmp/banklink" sandbox --addr "127.0.0.1:$port" --no-rate-limits
wait_ready "http://127.0.0.1:$port/moneykit/.well-known/jwks.json" "$tmp/sandbox.log"
load sandbox "http://127.0.0.1:$port/moneykit" -setup-sandbox
stop_server

# 2. Prism, mock mode, on the same spec. Errors are not turned into error
# responses (--errors false) and logging is kept to errors, so that Prism's
# console output does not hold it back.
port=$("$tmp/loadgen" -free-port)
start_server "$tmp/prism.log" "$PRISM" mock --host 127.0.0.1 --port "$port" --errors false \
	--verboseLevel error api/openapi.yaml
wait_ready "http://127.0.0.1:$port/" "$tmp/prism.log"
load prism "http://127.0.0.1:$port" -link-id mk_eqkWN34UEoa2NxyALG8pcV -token loadgen
stop_server

echo
"$tmp/loadgen" -compare -min-ratio 20 "$tmp/sandbox.json" "$tmp/prism.json"
