// Package metrics holds wagate's Prometheus metrics: their own registry (never the process-wide
// default, so tests and embedders get a clean set), the message and pacing instruments the domain
// and worker packages record into, and the /metrics listener (METRICS_ADDR, never the public port).
// Labels are bounded: statuses, queue names and states, never tenant or session ids. It imports no
// transport or queue library: queue depths come from a function given to New.
package metrics

import (
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Statuses are the message statuses counted by wagate_messages_total. Any other value is counted as
// "other", so a bug cannot grow the label set.
var Statuses = []string{"queued", "sending", "sent", "delivered", "read", "failed", "canceled", "expired", "received"}

// statusOther is the label of a status outside Statuses.
const statusOther = "other"

// Metrics is one set of instruments on its own registry. Its methods are safe for concurrent use and
// do nothing on a nil *Metrics, so a service may be built without metrics (tests).
type Metrics struct {
	reg *prometheus.Registry

	messages          *prometheus.CounterVec
	sendSeconds       prometheus.Histogram
	acceptToSent      prometheus.Histogram
	pacingWaits       prometheus.Counter
	pacingWaitSeconds prometheus.Histogram
	queueDepth        *queueCollector
}

// QueueDepthFunc returns task counts keyed by {queue, state}, called at each scrape (the worker
// reads them from its queue's inspector). It must return quickly, and its keys must come from a
// fixed set.
type QueueDepthFunc func() map[[2]string]float64

// New returns a fresh set of metrics on a registry of its own, with Go runtime and process
// collectors; queueDepth (nil: none) reports wagate_queue_depth.
func New(queueDepth QueueDepthFunc) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wagate_messages_total",
			Help: "Message status transitions, by the status entered.",
		}, []string{"status"}),
		sendSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wagate_message_send_seconds",
			Help:    "Time the WhatsApp driver took to send one message.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}),
		// Pacing and scheduled sends make this long-tailed: buckets reach an hour.
		acceptToSent: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wagate_message_accept_to_sent_seconds",
			Help:    "Time from accepting a message (or its send_at) to WhatsApp acknowledging the send.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600},
		}),
		pacingWaits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wagate_pacing_waits_total",
			Help: "Sends that had to wait for their session's pace.",
		}),
		pacingWaitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wagate_pacing_wait_seconds",
			Help:    "How long sends that had to wait for their session's pace were deferred.",
			Buckets: []float64{0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800},
		}),
		queueDepth: &queueCollector{desc: prometheus.NewDesc("wagate_queue_depth",
			"Tasks in each work queue, by state, when scraped.", []string{"queue", "state"}, nil), f: queueDepth},
	}
	// Every status shows from the start, at zero, so rates work before the first transition.
	for _, s := range append(slices.Clone(Statuses), statusOther) {
		m.messages.WithLabelValues(s)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.messages, m.sendSeconds, m.acceptToSent, m.pacingWaits, m.pacingWaitSeconds, m.queueDepth,
	)
	return m
}

// Registry is where the metrics are registered, for Serve (and for a caller's own collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// MessageStatus counts one message entering status.
func (m *Metrics) MessageStatus(status string) {
	if m == nil {
		return
	}
	if !slices.Contains(Statuses, status) {
		status = statusOther
	}
	m.messages.WithLabelValues(status).Inc()
}

// ObserveSend records how long the driver took to send one message.
func (m *Metrics) ObserveSend(d time.Duration) {
	if m == nil {
		return
	}
	m.sendSeconds.Observe(d.Seconds())
}

// ObserveAcceptToSent records the time from a message's acceptance (or send_at) to its send.
func (m *Metrics) ObserveAcceptToSent(d time.Duration) {
	if m == nil {
		return
	}
	m.acceptToSent.Observe(d.Seconds())
}

// PacingWait records a send deferred by d for its session's pace.
func (m *Metrics) PacingWait(d time.Duration) {
	if m == nil {
		return
	}
	m.pacingWaits.Inc()
	m.pacingWaitSeconds.Observe(d.Seconds())
}

// queueCollector reports wagate_queue_depth from the registered function at scrape time, so the
// numbers are current and no poller runs between scrapes.
type queueCollector struct {
	desc *prometheus.Desc
	f    QueueDepthFunc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	if c.f == nil {
		return
	}
	for k, v := range c.f() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, k[0], k[1])
	}
}
