package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// series is every sample of one benchmark: its values per unit, in input order.
type series struct {
	name   string // full name without the -GOMAXPROCS suffix
	procs  int    // GOMAXPROCS suffix, 1 when absent
	root   string // the top-level benchmark, e.g. BenchmarkOverhead
	params map[string]string
	values map[string][]float64 // unit → samples
}

// median of the unit's samples; ok is false when there are none.
func (s *series) median(unit string) (float64, bool) {
	return median(s.values[unit])
}

// spread is half the range of the unit's samples relative to their median.
func (s *series) spread(unit string) float64 {
	v := s.values[unit]
	m, ok := median(v)
	if !ok || m == 0 || len(v) < 2 {
		return 0
	}
	return (slices.Max(v) - slices.Min(v)) / 2 / m
}

func (s *series) samples() int { return len(s.values["ns/op"]) }

// results is everything read from the input.
type results struct {
	cpu, goos, goarch string
	series            map[string]*series
	order             []string // names in order of first appearance
	failures          []string // FAIL lines and panics
}

func median(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

var procsSuffix = regexp.MustCompile(`-(\d+)$`)

// splitName separates "BenchmarkX/a=1/b-2" into its name, GOMAXPROCS suffix,
// root and key=value parameters (a component without "=" is kept under its
// own name as key, with an empty value).
func splitName(full string) (name string, procs int, root string, params map[string]string) {
	name, procs = full, 1
	if m := procsSuffix.FindStringSubmatch(full); m != nil {
		name = strings.TrimSuffix(full, m[0])
		procs, _ = strconv.Atoi(m[1])
	}
	parts := strings.Split(name, "/")
	params = map[string]string{}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		params[k] = v
	}
	return name, procs, parts[0], params
}

// parse reads `go test -bench` output. Lines that are not results are
// skipped, apart from the cpu/goos/goarch headers and failures.
func parse(r io.Reader) (*results, error) {
	res := &results{series: map[string]*series{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "cpu: "):
			res.cpu = strings.TrimPrefix(line, "cpu: ")
		case strings.HasPrefix(line, "goos: "):
			res.goos = strings.TrimPrefix(line, "goos: ")
		case strings.HasPrefix(line, "goarch: "):
			res.goarch = strings.TrimPrefix(line, "goarch: ")
		case strings.HasPrefix(line, "--- FAIL"), line == "FAIL", strings.HasPrefix(line, "FAIL\t"),
			strings.HasPrefix(line, "panic: "):
			res.failures = append(res.failures, line)
		case strings.HasPrefix(line, "Benchmark"):
			if err := res.addResult(line); err != nil {
				return nil, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// addResult records one result line: name, iterations, then value/unit pairs.
// A benchmark name printed alone (the chatty header of a benchmark with
// sub-benchmarks) is not a result.
func (res *results) addResult(line string) error {
	f := strings.Fields(line)
	if len(f) < 4 {
		return nil
	}
	if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
		return nil
	}
	if len(f)%2 != 0 {
		return fmt.Errorf("malformed result line %q", line)
	}
	name, procs, root, params := splitName(f[0])
	s := res.series[name]
	if s == nil {
		s = &series{name: name, procs: procs, root: root, params: params, values: map[string][]float64{}}
		res.series[name] = s
		res.order = append(res.order, name)
	}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || math.IsNaN(v) {
			return fmt.Errorf("malformed value %q in %q", f[i], line)
		}
		s.values[f[i+1]] = append(s.values[f[i+1]], v)
	}
	return nil
}

// find returns the series with root and exactly these parameters.
func (res *results) find(root string, params map[string]string) *series {
	for _, name := range res.order {
		s := res.series[name]
		if s.root != root || len(s.params) != len(params) {
			continue
		}
		match := true
		for k, v := range params {
			if s.params[k] != v {
				match = false
				break
			}
		}
		if match {
			return s
		}
	}
	return nil
}

// values lists a parameter's values among root's series, in input order.
func (res *results) values(root, key string) []string {
	var out []string
	for _, name := range res.order {
		s := res.series[name]
		if v, ok := s.params[key]; s.root == root && ok && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
