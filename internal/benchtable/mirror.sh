#!/usr/bin/env bash
# The mirror's benchmarks (make bench-mirror), run under .ci/with-postgres:
# one link's ~800-transaction history into SQLite and Postgres as a ratio
# to the same sync written to /dev/null (three runs of BENCH_MIRROR_COUNT
# iterations, each iteration running the three variants in turn; medians
# of the iterations' ratios), 100 links' transactions per second per
# database, and 4 instances on one Postgres under a webhook storm with
# duplicates. Raw output goes to $BENCH_OUT.mirror.
set -euo pipefail

GO="${GO:-go}"
COUNT="${BENCH_MIRROR_COUNT:-20}"
OUT="${BENCH_OUT:-bench.out}.mirror"

"$GO" test -run '^$' -bench 'OneLinkHistory' -benchtime "${COUNT}x" -count 3 ./facade/mirror/ | tee "$OUT" |
	awk '/^BenchmarkOneLinkHistory/ {
		for (i = 4; i < NF; i++) v[$(i+1)] = $i
		printf "one link, full history (%d transactions): /dev/null %.1f ms, SQLite %.1f ms (%.2fx), Postgres %.1f ms (%.2fx)\n",
			v["txns"], v["devnull-ms"], v["sqlite-ms"], v["sqlite-x"], v["postgres-ms"], v["postgres-x"]
	}'

"$GO" test -run '^$' -bench 'HundredLinks|FleetWebhookStorm' -benchtime 1x -count 3 ./facade/mirror/ | tee -a "$OUT" |
	awk '/^BenchmarkHundredLinks/ {
		split($1, p, "/"); sub(/-[0-9]+$/, "", p[2])
		for (i = 4; i < NF; i++) if ($(i+1) == "txns/s") printf "100 links               %-9s %8.0f transactions/s\n", p[2], $i
	}
	/^BenchmarkFleetWebhookStorm/ {
		for (i = 4; i < NF; i++) if ($(i+1) == "ms-to-converge") printf "4 instances, 1 Postgres, webhook storm (40 links, 160 deliveries): %.0f ms to converge, each event applied once\n", $i
	}'
