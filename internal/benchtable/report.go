package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Benchmark names and targets, as the benchmarks in facade and facade/sandbox
// define them.
const (
	overheadRoot = "BenchmarkOverhead"
	clientRoot   = "BenchmarkClientOnly"
	reuseRoot    = "BenchmarkConnectionReuse"
	fanInRoot    = "BenchmarkTokenFanIn"
	sandboxRoot  = "BenchmarkGetLinkParallel"

	baseline = "raw"
	// cpuUnit is the process CPU time per call that BenchmarkOverhead reports.
	cpuUnit = "cpu-ns/op"
	// allocBudget is how many more allocations per call the facade may make than raw.
	allocBudget = 25
	// maxConns is the most connections BenchmarkConnectionReuse may open
	// (facade.DefaultMaxConnsPerHost).
	maxConns = 64
)

// timeTargets is the highest facade/raw ns/op ratio allowed per concurrency.
var timeTargets = map[string]float64{"1": 1.10, "64": 1.05}

// clientOrder is the order variants are listed in; others follow.
var clientOrder = []string{baseline, "generated", "facade"}

// reportSummary counts missed targets.
type reportSummary struct {
	perfMissed        int // time and allocation targets
	correctnessMissed int // connection count, token requests, missing results
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// report writes the tables and returns what was missed.
func (res *results) report(w io.Writer) reportSummary {
	var sum reportSummary
	fmt.Fprintln(w, "## banklink benchmarks")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "cpu: %s, %s/%s. Figures are medians over each benchmark's samples; ± is half their range.\n",
		orUnknown(res.cpu), orUnknown(res.goos), orUnknown(res.goarch))
	if len(res.failures) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "**The benchmark run FAILED:**")
		fmt.Fprintln(w)
		for _, f := range res.failures {
			fmt.Fprintf(w, "    %s\n", f)
		}
	}
	res.overhead(w, &sum)
	res.clientOnly(w)
	res.reuse(w, &sum)
	res.fanIn(w, &sum)
	res.sandbox(w)
	res.others(w)
	fmt.Fprintln(w)
	switch {
	case sum.perfMissed == 0 && sum.correctnessMissed == 0 && len(res.failures) == 0:
		fmt.Fprintln(w, "All targets met.")
	default:
		fmt.Fprintf(w, "Targets missed: %d time/allocation, %d correctness; failed runs: %d.\n",
			sum.perfMissed, sum.correctnessMissed, len(res.failures))
	}
	return sum
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// overhead prints BenchmarkOverhead: one row per operation, concurrency and
// client, then the targets.
func (res *results) overhead(w io.Writer, sum *reportSummary) {
	ops := res.values(overheadRoot, "op")
	if len(ops) == 0 {
		return
	}
	concs := res.values(overheadRoot, "conc")
	clients := orderedClients(res.values(overheadRoot, "client"))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "### Client overhead (BenchmarkOverhead)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| operation | conc | client | samples | ns/op | ± | B/op | allocs/op | time ÷ raw | allocs − raw | cpu-ns/op | cpu ÷ raw |")
	fmt.Fprintln(w, "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	type check struct {
		op, conc            string
		ratio, allocs       float64
		pairs               []float64 // per-round facade/raw ratios
		ratioOK, allocsOK   bool
		haveRaw, haveFacade bool
	}
	var checks []check
	for _, op := range ops {
		for _, conc := range concs {
			base := res.find(overheadRoot, map[string]string{"op": op, "conc": conc, "client": baseline})
			for _, client := range clients {
				s := res.find(overheadRoot, map[string]string{"op": op, "conc": conc, "client": client})
				if s == nil {
					continue
				}
				ns, _ := s.median("ns/op")
				bytes, _ := s.median("B/op")
				allocs, _ := s.median("allocs/op")
				cpu, okCPU := s.median(cpuUnit)
				ratio, dAllocs, cpuRatio := "", "", ""
				if base != nil {
					if r, ok := ratioOf(s, base, "ns/op"); ok {
						ratio = fmt.Sprintf("%.3f", r)
					}
					if d, ok := diffOf(s, base, "allocs/op"); ok {
						dAllocs = fmt.Sprintf("%+.0f", d)
					}
					if r, ok := ratioOf(s, base, cpuUnit); ok {
						cpuRatio = fmt.Sprintf("%.3f", r)
					}
				}
				fmt.Fprintf(w, "| %s | %s | %s | %d | %s | %.1f%% | %s | %s | %s | %s | %s | %s |\n",
					op, conc, client, s.samples(), thousands(ns), 100*s.spread("ns/op"), thousands(bytes), thousands(allocs), ratio, dAllocs,
					optional(cpu, okCPU), cpuRatio)
			}
			c := check{op: op, conc: conc}
			fac := res.find(overheadRoot, map[string]string{"op": op, "conc": conc, "client": "facade"})
			c.haveRaw, c.haveFacade = base != nil, fac != nil
			if base != nil && fac != nil {
				c.ratio, c.pairs = pairedRatio(fac, base, "ns/op")
				c.allocs, _ = diffOf(fac, base, "allocs/op")
				limit, ok := timeTargets[conc]
				c.ratioOK = !ok || c.ratio <= limit
				c.allocsOK = c.allocs <= allocBudget
			}
			checks = append(checks, c)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Targets: facade time ÷ raw is the median of the per-round ratios (in each round raw and")
	fmt.Fprintln(w, "facade run seconds apart), or the ratio of the medians when rounds cannot be paired.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| operation | conc | facade time ÷ raw | per-round range | target | facade allocs − raw | target | result |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|---|")
	for _, c := range checks {
		limit := "—"
		if l, ok := timeTargets[c.conc]; ok {
			limit = fmt.Sprintf("≤ %.2f", l)
		}
		if !c.haveRaw || !c.haveFacade {
			sum.correctnessMissed++
			fmt.Fprintf(w, "| %s | %s | | | %s | | ≤ +%d | MISSED (no %s result) |\n", c.op, c.conc, limit, allocBudget, missingOf(c.haveRaw))
			continue
		}
		ok := c.ratioOK && c.allocsOK
		if !ok {
			sum.perfMissed++
		}
		detail := verdict(ok)
		if !ok {
			var what []string
			if !c.ratioOK {
				what = append(what, "time")
			}
			if !c.allocsOK {
				what = append(what, "allocs")
			}
			detail += " (" + strings.Join(what, ", ") + ")"
		}
		span := "—"
		if len(c.pairs) > 1 {
			span = fmt.Sprintf("%.3f–%.3f", slices.Min(c.pairs), slices.Max(c.pairs))
		}
		fmt.Fprintf(w, "| %s | %s | %.3f | %s | %s | %+.0f | ≤ +%d | %s |\n", c.op, c.conc, c.ratio, span, limit, c.allocs, allocBudget, detail)
	}
}

// clientOnly prints BenchmarkClientOnly: each client's own work per call,
// without network or server, and what it adds to raw's.
func (res *results) clientOnly(w io.Writer) {
	ops := res.values(clientRoot, "op")
	if len(ops) == 0 {
		return
	}
	clients := orderedClients(res.values(clientRoot, "client"))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "### Client-side work only (BenchmarkClientOnly: canned responses in memory, no network)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| operation | client | samples | ns/op | ± | B/op | allocs/op | ns/op − raw |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|")
	for _, op := range ops {
		base := res.find(clientRoot, map[string]string{"op": op, "client": baseline})
		for _, client := range clients {
			s := res.find(clientRoot, map[string]string{"op": op, "client": client})
			if s == nil {
				continue
			}
			ns, _ := s.median("ns/op")
			bytes, _ := s.median("B/op")
			allocs, _ := s.median("allocs/op")
			extra := ""
			if base != nil {
				if d, ok := diffOf(s, base, "ns/op"); ok {
					extra = fmt.Sprintf("%+.0f", d)
				}
			}
			fmt.Fprintf(w, "| %s | %s | %d | %s | %.1f%% | %s | %s | %s |\n",
				op, client, s.samples(), thousands(ns), 100*s.spread("ns/op"), thousands(bytes), thousands(allocs), extra)
		}
	}
}

func missingOf(haveRaw bool) string {
	if !haveRaw {
		return baseline
	}
	return "facade"
}

func orderedClients(found []string) []string {
	var out []string
	for _, c := range clientOrder {
		if slices.Contains(found, c) {
			out = append(out, c)
		}
	}
	for _, c := range found {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// ratioOf is the ratio of the medians of unit in s and base.
func ratioOf(s, base *series, unit string) (float64, bool) {
	a, ok1 := s.median(unit)
	b, ok2 := base.median(unit)
	if !ok1 || !ok2 || b == 0 {
		return 0, false
	}
	return a / b, true
}

// pairedRatio pairs the samples of s and base by position (sample i of each
// comes from the same round of an interleaved run) and returns the median
// of the per-pair ratios and the ratios. When the sample counts differ the
// samples cannot be paired, and it returns the ratio of the medians.
func pairedRatio(s, base *series, unit string) (float64, []float64) {
	a, b := s.values[unit], base.values[unit]
	if len(a) == 0 || len(a) != len(b) {
		r, _ := ratioOf(s, base, unit)
		return r, nil
	}
	pairs := make([]float64, 0, len(a))
	for i := range a {
		if b[i] != 0 {
			pairs = append(pairs, a[i]/b[i])
		}
	}
	m, ok := median(pairs)
	if !ok {
		r, _ := ratioOf(s, base, unit)
		return r, nil
	}
	return m, pairs
}

// diffOf is the difference of the medians of unit in s and base.
func diffOf(s, base *series, unit string) (float64, bool) {
	a, ok1 := s.median(unit)
	b, ok2 := base.median(unit)
	return a - b, ok1 && ok2
}

// reuse prints BenchmarkConnectionReuse; the target holds in every sample.
func (res *results) reuse(w io.Writer, sum *reportSummary) {
	s := res.find(reuseRoot, map[string]string{})
	if s == nil {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "### Connection reuse (BenchmarkConnectionReuse)")
	fmt.Fprintln(w)
	conns := s.values["conns"]
	if len(conns) == 0 {
		sum.correctnessMissed++
		fmt.Fprintln(w, "No conns metric in the input: MISSED.")
		return
	}
	worst := slices.Max(conns)
	ok := worst <= maxConns
	if !ok {
		sum.correctnessMissed++
	}
	tokens, _ := s.median("token-reqs")
	perCall, _ := s.median("ns/call")
	peak := ""
	if v := s.values["peak-conns"]; len(v) > 0 {
		peak = thousands(slices.Max(v))
	}
	fmt.Fprintln(w, "| runs | TCP connections opened (most in a run) | most open at once | target | token requests | ns/call | result |")
	fmt.Fprintln(w, "|--:|--:|--:|--:|--:|--:|---|")
	fmt.Fprintf(w, "| %d | %s | %s | ≤ %d | %s | %s | %s |\n", len(conns), thousands(worst), peak, maxConns, thousands(tokens), thousands(perCall), verdict(ok))
}

// fanIn prints BenchmarkTokenFanIn; every sample must be exactly one token
// request per wave.
func (res *results) fanIn(w io.Writer, sum *reportSummary) {
	modes := res.values(fanInRoot, "mode")
	if len(modes) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "### Token fan-in (BenchmarkTokenFanIn: waves of 1,000 concurrent calls)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| token | runs | token requests per wave (min–max over runs) | target | result |")
	fmt.Fprintln(w, "|---|--:|--:|--:|---|")
	for _, mode := range modes {
		s := res.find(fanInRoot, map[string]string{"mode": mode})
		v := s.values["token-reqs/op"]
		ok := len(v) > 0 && slices.Min(v) == 1 && slices.Max(v) == 1
		if !ok {
			sum.correctnessMissed++
		}
		span := "none"
		if len(v) > 0 {
			span = fmt.Sprintf("%s–%s", trimFloat(slices.Min(v)), trimFloat(slices.Max(v)))
		}
		fmt.Fprintf(w, "| %s | %d | %s | exactly 1 | %s |\n", mode, len(v), span, verdict(ok))
	}
}

// sandbox prints the in-process sandbox throughput.
func (res *results) sandbox(w io.Writer) {
	s := res.find(sandboxRoot, map[string]string{})
	if s == nil {
		return
	}
	rps, ok := s.median("req/s")
	if !ok {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "### Sandbox, in process (facade/sandbox BenchmarkGetLinkParallel)")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "GET /links/{id} from 64 concurrent clients over loopback HTTP: %s req/s (median of %d, ±%.1f%%).\n",
		thousands(rps), len(s.values["req/s"]), 100*s.spread("req/s"))
}

// others prints the medians of every benchmark not reported above.
func (res *results) others(w io.Writer) {
	known := []string{overheadRoot, clientRoot, reuseRoot, fanInRoot, sandboxRoot}
	var rest []*series
	for _, name := range res.order {
		if s := res.series[name]; !slices.Contains(known, s.root) {
			rest = append(rest, s)
		}
	}
	if len(rest) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "### Other benchmarks")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| benchmark | samples | ns/op | ± | B/op | allocs/op |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|")
	for _, s := range rest {
		ns, _ := s.median("ns/op")
		b, okB := s.median("B/op")
		a, okA := s.median("allocs/op")
		fmt.Fprintf(w, "| %s | %d | %s | %.1f%% | %s | %s |\n", s.name, s.samples(), thousands(ns), 100*s.spread("ns/op"), optional(b, okB), optional(a, okA))
	}
}

func optional(v float64, ok bool) string {
	if !ok {
		return ""
	}
	return thousands(v)
}

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// thousands formats v rounded to an integer with comma separators; values
// below 100 keep up to two decimals.
func thousands(v float64) string {
	if math.Abs(v) < 100 && v != math.Trunc(v) {
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	}
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
