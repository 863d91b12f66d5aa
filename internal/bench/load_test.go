package bench

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// target is what a run sends: POSTs of body(i) to url with header. Bodies are cheap to build, so
// the load generator, which shares the 2 cores with the app, stays small next to it.
type target struct {
	url    string
	header http.Header
	body   func(i int) []byte
	want   int // the status of an accepted request
}

// sample is one finished request.
type sample struct {
	latency time.Duration
	status  int // 0: transport error
	problem string
}

// outcome is what one or more runs saw.
type outcome struct {
	accepted  int
	latencies []time.Duration // of accepted requests
	refused   map[string]int  // "status 500", "error" → how many
	example   string          // the first refusal, to say what went wrong
	elapsed   time.Duration   // summed over runs: the wall time requests were in flight
}

func (o *outcome) add(samples []sample, elapsed time.Duration, want int) {
	o.elapsed += elapsed
	for _, s := range samples {
		if s.status == want {
			o.accepted++
			o.latencies = append(o.latencies, s.latency)
			continue
		}
		if o.refused == nil {
			o.refused = map[string]int{}
		}
		key := "error"
		if s.status != 0 {
			key = fmt.Sprintf("status %d", s.status)
		}
		o.refused[key]++
		if o.example == "" {
			o.example = key + ": " + s.problem
		}
	}
}

// requireClean fails the benchmark when any request was refused: figures over errors mislead.
func (o *outcome) requireClean(tb testing.TB, what string) {
	tb.Helper()
	if len(o.refused) > 0 {
		tb.Fatalf("%s: %d accepted, refused %v; first: %s", what, o.accepted, o.refused, o.example)
	}
	if o.accepted == 0 {
		tb.Fatalf("%s: nothing accepted", what)
	}
}

// perSecond is accepted requests per second of wall time.
func (o *outcome) perSecond() float64 {
	if o.elapsed <= 0 {
		return 0
	}
	return float64(o.accepted) / o.elapsed.Seconds()
}

// ms is the p-quantile of accepted requests' latencies in milliseconds (nearest rank).
func (o *outcome) ms(p float64) float64 {
	return float64(quantile(o.latencies, p)) / float64(time.Millisecond)
}

// quantile returns the nearest-rank p-quantile (0 < p ≤ 1) of ds, 0 for none. ds is sorted in place.
func quantile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	if !slices.IsSorted(ds) {
		slices.Sort(ds)
	}
	rank := int(math.Ceil(p * float64(len(ds))))
	return ds[min(max(rank, 1), len(ds))-1]
}

// newClient is the load generator's HTTP client: keep-alive connections, enough idle ones per host
// that 32 workers (or an open loop's bursts) never open new connections once warm.
func newClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 2 * time.Minute, DisableCompression: true,
	}}
}

// do sends the i-th request of t and times it from start (zero: from now).
func do(c *http.Client, t target, i int, start time.Time) sample {
	if start.IsZero() {
		start = time.Now()
	}
	req, err := http.NewRequest(http.MethodPost, t.url, bytes.NewReader(t.body(i)))
	if err != nil {
		return sample{problem: err.Error()}
	}
	for k, v := range t.header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return sample{problem: err.Error()}
	}
	var problem string
	if resp.StatusCode != t.want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		problem = strings.TrimSpace(string(b))
	}
	_, _ = io.Copy(io.Discard, resp.Body) // read to the end, so the connection is reused
	resp.Body.Close()
	return sample{latency: time.Since(start), status: resp.StatusCode, problem: problem}
}

// closedLoop sends n requests from conns workers, each sending its next request as soon as its
// previous one is answered, and returns the samples and the wall time from first to last.
func closedLoop(c *http.Client, t target, n, conns int) ([]sample, time.Duration) {
	samples := make([]sample, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				samples[i] = do(c, t, i, time.Time{})
			}
		})
	}
	wg.Wait()
	return samples, time.Since(start)
}

// openLoop sends rate requests a second for d, each at its planned time whether or not earlier ones
// were answered, and times each from its planned time: a dispatcher that falls behind (a busy
// machine) or a slow server shows up as latency instead of a quietly lower rate (coordinated
// omission). It returns the samples and the wall time from the first planned send to the last answer.
func openLoop(c *http.Client, t target, rate int, d time.Duration) ([]sample, time.Duration) {
	n := int(d.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	samples := make([]sample, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		wg.Go(func() { samples[i] = do(c, t, i, due) })
	}
	wg.Wait()
	return samples, time.Since(start)
}
