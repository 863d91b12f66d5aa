package bench

import (
	"fmt"
	"testing"
	"time"
)

// The workload of each figure (docs/BENCHMARKS.md says how to run them and what each one measures).
const (
	conns          = 32              // concurrent connections of the closed loop
	acceptRequests = 3000            // requests per closed-loop run, to each server
	openFor        = 5 * time.Second // length of an open-loop run
	e2eMessages    = 2000            // messages per end-to-end run
)

// BenchmarkSendAccept measures POST /api/v1/messages at 32 concurrent connections (accepted per
// second, p50 and p99) next to the baseline, a bare Fiber handler doing one insert and one enqueue,
// measured in the same run on the same database and Redis. ratio-% is the API's rate as a share of
// the baseline's: it cancels part of a shared machine's noise, which moves both rates. The baseline
// runs first, on a quiet app; then the API, whose session host and worker run as in production, so
// its accepted messages are being sent while it is loaded: that work is part of what it costs.
func BenchmarkSendAccept(b *testing.B) {
	b.Run("sending=on", func(b *testing.B) { acceptAt(b, true) })
	b.Run("sending=off", func(b *testing.B) { acceptAt(b, false) })
}

// acceptAt is BenchmarkSendAccept with the worker and session host sending what is accepted (on:
// the whole product on one machine) or not running (off: the accept path alone, like the baseline).
func acceptAt(b *testing.B, sending bool) {
	r := newRigSending(b, 1, sending)
	r.warmUp(conns)
	var api, base outcome
	for b.Loop() {
		r.settle(5 * time.Minute) // the previous run's sends are out (a no-op on the first run)
		s, d := closedLoop(r.client, r.base(), acceptRequests, conns)
		base.add(s, d, r.base().want)
		s, d = closedLoop(r.client, r.api(), acceptRequests, conns)
		api.add(s, d, r.api().want)
	}
	base.requireClean(b, "baseline")
	api.requireClean(b, "POST /api/v1/messages")
	b.ReportMetric(0, "ns/op") // one op is a whole run: its time says nothing
	b.ReportMetric(api.perSecond(), "accepted/s")
	b.ReportMetric(api.ms(0.50), "p50-ms")
	b.ReportMetric(api.ms(0.99), "p99-ms")
	b.ReportMetric(base.perSecond(), "base-accepted/s")
	b.ReportMetric(base.ms(0.50), "base-p50-ms")
	b.ReportMetric(base.ms(0.99), "base-p99-ms")
	b.ReportMetric(100*api.perSecond()/base.perSecond(), "ratio-%")
}

// BenchmarkSendOpenLoop measures POST /api/v1/messages at a steady rate for 5 s (open loop: each
// request leaves at its planned time whether or not earlier ones were answered, and its latency
// counts from then), and the baseline at the same rate in the same run: at 1,000 requests a second
// (the rate docs/BENCHMARKS.md sets a goal for) and at 250, a rate the API keeps up with on this machine.
func BenchmarkSendOpenLoop(b *testing.B) {
	for _, rate := range []int{1000, 250} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) { openLoopAt(b, rate) })
	}
}

func openLoopAt(b *testing.B, rate int) {
	r := newRig(b, 1)
	r.warmUp(conns)
	var api, base outcome
	for b.Loop() {
		r.settle(5 * time.Minute)
		s, d := openLoop(r.client, r.base(), rate, openFor)
		base.add(s, d, r.base().want)
		s, d = openLoop(r.client, r.api(), rate, openFor)
		api.add(s, d, r.api().want)
	}
	base.requireClean(b, "baseline")
	api.requireClean(b, "POST /api/v1/messages")
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(api.ms(0.50), "p50-ms")
	b.ReportMetric(api.ms(0.99), "p99-ms")
	b.ReportMetric(api.ms(1), "max-ms")
	b.ReportMetric(base.ms(0.50), "base-p50-ms")
	b.ReportMetric(base.ms(0.99), "base-p99-ms")
}

// BenchmarkSendEndToEnd accepts 2,000 messages through the API (32 connections) with pacing off
// and measures how fast they leave, from one session (the figure docs/BENCHMARKS.md sets a goal for) and spread over four.
// sends/s is messages over the time from the first request to the last message sent (sent_at as
// Postgres recorded it). cpu-us/msg is this process's CPU time (user + system) per message from the
// first request until every message is read, so it covers the whole life of a message (accept,
// task, claim, send, delivered and read receipts) but also the load generator and the simulator,
// which run in the same process; Postgres and Redis are other processes and are not counted.
// idle-cpu-ms/s is the process's CPU use while idle just before (the host's heartbeats, the
// sweeper's and the simulator's polls), which cpu-us/msg includes too.
func BenchmarkSendEndToEnd(b *testing.B) {
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) { endToEnd(b, n) })
	}
}

func endToEnd(b *testing.B, sessions int) {
	r := newRig(b, sessions)
	r.warmUp(conns)
	var messages int
	var sending, cpu, idleCPU, idle time.Duration
	for b.Loop() {
		r.settle(5 * time.Minute)
		before := r.counts()
		c0, t0 := cpuTime(b), time.Now()
		time.Sleep(time.Second)
		idleCPU, idle = idleCPU+cpuTime(b)-c0, idle+time.Since(t0)

		c0, t0 = cpuTime(b), time.Now()
		s, _ := closedLoop(r.client, r.api(), e2eMessages, conns)
		var o outcome
		o.add(s, 0, r.api().want)
		o.requireClean(b, "POST /api/v1/messages")
		// Polled coarsely, so the polling costs little CPU; the times come from the rows.
		waitFor(b, 5*time.Minute, "every message read", 100*time.Millisecond, func() bool {
			c := r.counts()
			if c.failed > before.failed {
				b.Fatalf("%d messages did not go out, e.g. %s", c.failed-before.failed, c.example)
			}
			return c.read-before.read >= e2eMessages
		})
		cpu += cpuTime(b) - c0
		lastSent, _ := r.lastTimes()
		sending += lastSent.Sub(t0)
		messages += e2eMessages
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(messages)/sending.Seconds(), "sends/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(messages), "cpu-us/msg")
	b.ReportMetric(float64(idleCPU.Milliseconds())/idle.Seconds(), "idle-cpu-ms/s")
}

// waitFor polls cond every interval until it holds, and fails after timeout.
func waitFor(tb testing.TB, timeout time.Duration, what string, interval time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(interval)
	}
}
