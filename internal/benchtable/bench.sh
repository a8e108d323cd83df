#!/usr/bin/env bash
# bench.sh runs banklink's benchmarks for `make bench`, keeps the raw
# `go test -bench` output in $BENCH_OUT and prints the summary tables of
# internal/benchtable. BENCHMARKS.md explains the benchmarks and figures.
#
# BenchmarkOverhead (and its network-free twin BenchmarkClientOnly) runs in
# $BENCH_COUNT rounds of -count 1, each round running every operation,
# concurrency and client variant once, with the variants' order rotated from
# round to round (over 12 rounds each variant runs first, second and last
# four times). That gives the same
# $BENCH_COUNT samples per benchmark as -count $BENCH_COUNT, but interleaved:
# -count repeats each sub-benchmark back to back, so slow drift of a shared
# machine would land on one variant. The connection-reuse and token fan-in
# benchmarks check counts, not time, and run once; the in-process sandbox
# and validation benchmarks run with -count $BENCH_COUNT.
set -euo pipefail

cd "$(dirname "$0")/../.."
GO=${GO:-go}
COUNT=${BENCH_COUNT:-12}
BENCHTIME=${BENCH_TIME:-300ms}
OUT=${BENCH_OUT:-bench.out}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "building test binaries" >&2
"$GO" test -c -o "$tmp/moneykit.test" ./facade/moneykit
"$GO" test -c -o "$tmp/linkmoney.test" ./facade/linkmoney
"$GO" test -c -o "$tmp/bench.test" ./facade/internal/bench
"$GO" test -c -o "$tmp/transport.test" ./facade/internal/transport
"$GO" test -c -o "$tmp/sandbox.test" ./facade/sandbox
"$GO" build -o "$tmp/coldstart" ./internal/coldstart
"$GO" build -o "$tmp/facadeget" ./internal/sizecheck/facadeget
"$GO" build -o "$tmp/rawget" ./internal/sizecheck/rawget

exec 3>&2
run() { # dir binary args...: run a test binary in its package directory
	local dir=$1 bin=$2
	shift 2
	(cd "$dir" && "$tmp/$bin" -test.run '^$' -test.benchmem "$@")
}

{
	status=0
	for round in $(seq 1 "$COUNT"); do
		echo "BenchmarkOverhead, BenchmarkClientOnly: round $round of $COUNT" >&3
		run facade/internal/bench bench.test -test.bench '^BenchmarkOverhead$' -test.count 1 \
			-test.benchtime "$BENCHTIME" -benchround "$round" || status=1
		run facade/internal/bench bench.test -test.bench '^BenchmarkClientOnly$' -test.count 1 \
			-test.benchtime 200ms -benchround "$round" || status=1
	done
	echo "BenchmarkCallOptions" >&3
	run facade/internal/bench bench.test -test.bench '^BenchmarkCallOptions$' -test.count "$COUNT" -test.benchtime 200ms || status=1
	echo "BenchmarkConnectionReuse, BenchmarkTokenFanIn" >&3
	run facade/internal/bench bench.test -test.bench '^BenchmarkConnectionReuse$' -test.count 1 || status=1
	run facade/internal/transport transport.test -test.bench '^BenchmarkTokenFanIn$' -test.count 1 || status=1
	echo "sandbox and validation benchmarks" >&3
	run facade/sandbox sandbox.test -test.bench . -test.count "$COUNT" || status=1
	run facade/moneykit moneykit.test -test.bench '^BenchmarkBody(Valid|Invalid)$' -test.count "$COUNT" -test.benchtime 200ms || status=1
	run facade/linkmoney linkmoney.test -test.bench '^BenchmarkBody(Valid|Invalid)$' -test.count "$COUNT" -test.benchtime 200ms || status=1
	exit $status
} 2>&1 | tee "$OUT" | "$GO" run ./internal/benchtable

# Cold start and binary size (BENCHMARKS.md), after the tables: the first
# moneykit.New in $COUNT fresh processes (median; target <= 1 ms), and
# a minimal Links.Get program through the facade against the same program
# hand-written with net/http (target <= 1.15x).
for _ in $(seq 1 "$COUNT"); do "$tmp/coldstart"; done | tee -a "$OUT" |
	awk '{print $3}' | sort -n | awk '{v[NR]=$1} END {m=v[int((NR+1)/2)];
		printf "cold start: first moneykit.New, median of %d fresh processes: %.1f us (target <= 1000 us)\n", NR, m/1000;
		if (m > 1000000) exit 1}'
fsize=$(wc -c <"$tmp/facadeget")
rsize=$(wc -c <"$tmp/rawget")
awk -v f="$fsize" -v r="$rsize" 'BEGIN {printf "binary size: facade Links.Get %.2f MB, net/http %.2f MB, ratio %.3f (target <= 1.15)\n", f/1e6, r/1e6, f/r;
	if (f/r > 1.15) exit 1}' | tee -a "$OUT"
