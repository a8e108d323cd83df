package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two concatenated runs, as `make bench` produces them, plus a -count 3 run
// of the sandbox benchmark.
const sampleOutput = `goos: linux
goarch: amd64
pkg: github.com/banklink/banklink/facade
cpu: AMD EPYC
BenchmarkOverhead/op=GetLink/conc=1/client=raw-2         	   16646	     60000 ns/op	   11873 B/op	     146 allocs/op	   80000 cpu-ns/op
BenchmarkOverhead/op=GetLink/conc=1/client=generated-2   	   17211	     63000 ns/op	   12150 B/op	     156 allocs/op
BenchmarkOverhead/op=GetLink/conc=1/client=facade-2      	   15589	     65000 ns/op	   10504 B/op	     147 allocs/op	   84000 cpu-ns/op
BenchmarkOverhead/op=GetLink/conc=64/client=raw-2        	   29744	     30000 ns/op	   11874 B/op	     146 allocs/op
BenchmarkOverhead/op=GetLink/conc=64/client=generated-2  	   27471	     31000 ns/op	   12154 B/op	     156 allocs/op
BenchmarkOverhead/op=GetLink/conc=64/client=facade-2     	   22950	     33000 ns/op	   10524 B/op	     180 allocs/op
PASS
ok  	github.com/banklink/banklink/facade	29.050s
goos: linux
goarch: amd64
pkg: github.com/banklink/banklink/facade
cpu: AMD EPYC
BenchmarkOverhead/op=GetLink/conc=1/client=generated-2   	   17211	     61000 ns/op	   12150 B/op	     156 allocs/op
BenchmarkOverhead/op=GetLink/conc=1/client=facade-2      	   15589	     63000 ns/op	   10504 B/op	     147 allocs/op
BenchmarkOverhead/op=GetLink/conc=1/client=raw-2         	   16646	     58000 ns/op	   11873 B/op	     146 allocs/op
BenchmarkOverhead/op=GetLink/conc=64/client=generated-2  	   27471	     31000 ns/op	   12154 B/op	     156 allocs/op
BenchmarkOverhead/op=GetLink/conc=64/client=facade-2     	   22950	     31000 ns/op	   10524 B/op	     180 allocs/op
BenchmarkOverhead/op=GetLink/conc=64/client=raw-2        	   29744	     30000 ns/op	   11874 B/op	     146 allocs/op
BenchmarkClientOnly/op=GetLink/client=raw-2         	   74922	     18000 ns/op	    7245 B/op	      92 allocs/op
BenchmarkClientOnly/op=GetLink/client=facade-2      	   54604	     19500 ns/op	    5886 B/op	      93 allocs/op
BenchmarkConnectionReuse-2   	       1	19000000000 ns/op	        64.00 conns	        64.00 peak-conns	     29687 ns/call	         1.000 token-reqs	1000 B/op	10 allocs/op
BenchmarkTokenFanIn/mode=cold-2         	      14	  70000000 ns/op	         1.000 token-reqs/op
BenchmarkTokenFanIn/mode=expired-2      	      14	  70000000 ns/op	         1.000 token-reqs/op
BenchmarkTokenFanIn/mode=rejected-2     	      14	  70000000 ns/op	         1.000 token-reqs/op
PASS
pkg: github.com/banklink/banklink/facade/sandbox
BenchmarkGetLinkParallel-2   	   50000	     40000 ns/op	     25000 req/s
BenchmarkGetLinkParallel-2   	   50000	     40000 ns/op	     27000 req/s
BenchmarkGetLinkParallel-2   	   50000	     40000 ns/op	     26000 req/s
BenchmarkBodyValid/createLinkSession-2 	 1000000	      1000 ns/op	       0 B/op	       0 allocs/op
`

func TestParseGroupsSamplesByName(t *testing.T) {
	res, err := parse(strings.NewReader(sampleOutput))
	require.NoError(t, err)
	assert.Equal(t, "AMD EPYC", res.cpu)
	assert.Equal(t, "linux", res.goos)
	assert.Empty(t, res.failures)

	s := res.find(overheadRoot, map[string]string{"op": "GetLink", "conc": "1", "client": "raw"})
	require.NotNil(t, s)
	assert.Equal(t, 2, s.procs)
	assert.Equal(t, "BenchmarkOverhead/op=GetLink/conc=1/client=raw", s.name)
	assert.Equal(t, []float64{60000, 58000}, s.values["ns/op"])
	m, ok := s.median("ns/op")
	require.True(t, ok)
	assert.InDelta(t, 59000, m, 1e-9, "median of an even count is the mean of the middle two")
	assert.InDelta(t, 1000.0/59000, s.spread("ns/op"), 1e-12)

	assert.Equal(t, []string{"GetLink"}, res.values(overheadRoot, "op"))
	assert.Equal(t, []string{"1", "64"}, res.values(overheadRoot, "conc"))
	assert.Equal(t, []string{"raw", "generated", "facade"}, orderedClients(res.values(overheadRoot, "client")))

	reuse := res.find(reuseRoot, map[string]string{})
	require.NotNil(t, reuse)
	assert.Equal(t, []float64{64}, reuse.values["conns"])
	assert.Equal(t, []float64{29687}, reuse.values["ns/call"])

	sb := res.find(sandboxRoot, map[string]string{})
	rps, _ := sb.median("req/s")
	assert.InDelta(t, 26000, rps, 1e-9)
}

func TestMedianAndRatios(t *testing.T) {
	_, ok := median(nil)
	assert.False(t, ok)
	m, _ := median([]float64{5, 1, 3})
	assert.InDelta(t, 3, m, 0)
	m, _ = median([]float64{4, 1, 3, 2})
	assert.InDelta(t, 2.5, m, 0)

	a := &series{values: map[string][]float64{"ns/op": {110, 130, 120}, "allocs/op": {150, 150, 151}}}
	b := &series{values: map[string][]float64{"ns/op": {100, 90, 110}, "allocs/op": {140, 140, 140}}}
	r, ok := ratioOf(a, b, "ns/op")
	require.True(t, ok)
	assert.InDelta(t, 1.2, r, 1e-12, "ratio of medians 120/100")
	d, ok := diffOf(a, b, "allocs/op")
	require.True(t, ok)
	assert.InDelta(t, 10, d, 0)
	_, ok = ratioOf(a, &series{values: map[string][]float64{}}, "ns/op")
	assert.False(t, ok)

	// Paired by round: 110/100, 130/90, 120/110; the median ratio is
	// 1.1, where the ratio of the medians is 1.2.
	r, pairs := pairedRatio(a, b, "ns/op")
	assert.InDelta(t, 1.1, r, 1e-12)
	assert.Len(t, pairs, 3)
	// Unequal sample counts cannot be paired: ratio of the medians.
	c := &series{values: map[string][]float64{"ns/op": {100, 100}}}
	r, pairs = pairedRatio(a, c, "ns/op")
	assert.InDelta(t, 1.2, r, 1e-12)
	assert.Nil(t, pairs)
}

func TestSplitName(t *testing.T) {
	name, procs, root, params := splitName("BenchmarkOverhead/op=GetLink/conc=64/client=facade-16")
	assert.Equal(t, "BenchmarkOverhead/op=GetLink/conc=64/client=facade", name)
	assert.Equal(t, 16, procs)
	assert.Equal(t, "BenchmarkOverhead", root)
	assert.Equal(t, map[string]string{"op": "GetLink", "conc": "64", "client": "facade"}, params)

	name, procs, root, params = splitName("BenchmarkConnectionReuse")
	assert.Equal(t, "BenchmarkConnectionReuse", name)
	assert.Equal(t, 1, procs)
	assert.Equal(t, "BenchmarkConnectionReuse", root)
	assert.Empty(t, params)
}

func TestReportMarksTargets(t *testing.T) {
	var out bytes.Buffer
	code := run(strings.NewReader(sampleOutput), &out, false)
	text := out.String()
	// conc=1: facade 64000 vs raw 59000 = 1.085 ≤ 1.10, +1 alloc: met.
	assert.Contains(t, text, "| GetLink | 1 | 1.085 | 1.083–1.086 | ≤ 1.10 | +1 | ≤ +25 | met |")
	// conc=64: 32000/30000 = 1.067 > 1.05 and +34 allocs: missed on both.
	assert.Contains(t, text, "| GetLink | 64 | 1.067 | 1.033–1.100 | ≤ 1.05 | +34 | ≤ +25 | MISSED (time, allocs) |")
	assert.Contains(t, text, "| GetLink | 1 | generated | 2 | 62,000 | 1.6% | 12,150 | 156 | 1.051 | +10 |  |  |")
	// cpu-ns/op is in one sample of each: 84000/80000.
	assert.Contains(t, text, "| GetLink | 1 | facade | 2 | 64,000 | 1.6% | 10,504 | 147 | 1.085 | +1 | 84,000 | 1.050 |")
	assert.Contains(t, text, "| 1 | 64 | 64 | ≤ 64 | 1 | 29,687 | met |")
	assert.Contains(t, text, "| GetLink | facade | 1 | 19,500 | 0.0% | 5,886 | 93 | +1500 |")
	assert.NotContains(t, text, "| BenchmarkClientOnly", "not listed again under other benchmarks")
	assert.Contains(t, text, "| rejected | 1 | 1–1 | exactly 1 | met |")
	assert.Contains(t, text, "26,000 req/s")
	assert.Contains(t, text, "| BenchmarkBodyValid/createLinkSession | 1 | 1,000 | 0.0% | 0 | 0 |")
	assert.Contains(t, text, "Targets missed: 1 time/allocation, 0 correctness")
	assert.Equal(t, 0, code, "time targets only fail with -strict")

	out.Reset()
	assert.Equal(t, 1, run(strings.NewReader(sampleOutput), &out, true))
}

func TestCorrectnessFailuresExitNonZero(t *testing.T) {
	tooMany := strings.Replace(sampleOutput, "64.00 conns", "65.00 conns", 1)
	var out bytes.Buffer
	assert.Equal(t, 1, run(strings.NewReader(tooMany), &out, false))
	assert.Contains(t, out.String(), "| 1 | 65 | 64 | ≤ 64 | 1 | 29,687 | MISSED |")

	twoTokens := strings.Replace(sampleOutput, "1.000 token-reqs/op\nBenchmarkTokenFanIn/mode=rejected", "2.000 token-reqs/op\nBenchmarkTokenFanIn/mode=rejected", 1)
	out.Reset()
	assert.Equal(t, 1, run(strings.NewReader(twoTokens), &out, false))
	assert.Contains(t, out.String(), "| expired | 1 | 2–2 | exactly 1 | MISSED |")

	failed := sampleOutput + "--- FAIL: BenchmarkConnectionReuse\nFAIL\n"
	out.Reset()
	assert.Equal(t, 1, run(strings.NewReader(failed), &out, false))
	assert.Contains(t, out.String(), "The benchmark run FAILED")
}

func TestThousands(t *testing.T) {
	assert.Equal(t, "0", thousands(0))
	assert.Equal(t, "999", thousands(999))
	assert.Equal(t, "1,000", thousands(1000))
	assert.Equal(t, "1,234,568", thousands(1234567.6))
	assert.Equal(t, "-12,345", thousands(-12345))
	assert.Equal(t, "2.5", thousands(2.5))
}

func TestMalformedLine(t *testing.T) {
	_, err := parse(strings.NewReader("BenchmarkX-2 10 100 ns/op 5\n"))
	require.Error(t, err)
	res, err := parse(strings.NewReader("BenchmarkX/sub\nBenchmarkX-2 10 100 ns/op\n"))
	require.NoError(t, err)
	assert.Len(t, res.series, 1, "a bare benchmark name is not a result")
}
