package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/metrics"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// scrape fetches url over HTTP and parses the exposition text.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func TestServeListener_Scrape(t *testing.T) {
	t.Parallel()
	// Depths are read at each scrape, not cached: the second scrape sees the second answer.
	depths := []map[[2]string]float64{
		{{"interactive", "pending"}: 3, {"bulk", "scheduled"}: 7},
		{{"system", "active"}: 1},
	}
	var scrapes atomic.Int32
	m := metrics.New(func() map[[2]string]float64 { return depths[min(int(scrapes.Add(1))-1, 1)] })
	m.MessageStatus("sent")
	m.MessageStatus("sent")
	m.MessageStatus("delivered")
	m.MessageStatus("tenant-0199d3c2-not-a-status") // must not become a label value
	m.ObserveSend(200 * time.Millisecond)
	m.ObserveAcceptToSent(3 * time.Second)
	m.PacingWait(2 * time.Second)
	m.PacingWait(4 * time.Second)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- metrics.ServeListener(ctx, ln, m.Registry(), quiet()) }()

	fams := scrape(t, "http://"+ln.Addr().String()+"/metrics")
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "wagate_messages_total",
		"wagate_message_send_seconds", "wagate_message_accept_to_sent_seconds", "wagate_queue_depth",
		"wagate_pacing_waits_total", "wagate_pacing_wait_seconds"} {
		require.Contains(t, fams, name)
	}

	byStatus := map[string]float64{}
	for _, mt := range fams["wagate_messages_total"].GetMetric() {
		byStatus[label(mt, "status")] = mt.GetCounter().GetValue()
	}
	require.Len(t, byStatus, len(metrics.Statuses)+1, "every status from the start, plus other; nothing else")
	require.Equal(t, 2.0, byStatus["sent"])
	require.Equal(t, 1.0, byStatus["delivered"])
	require.Equal(t, 0.0, byStatus["read"])
	require.Equal(t, 1.0, byStatus["other"])

	send := fams["wagate_message_send_seconds"].GetMetric()[0].GetHistogram()
	require.EqualValues(t, 1, send.GetSampleCount())
	require.InDelta(t, 0.2, send.GetSampleSum(), 1e-9)
	require.EqualValues(t, 1, fams["wagate_message_accept_to_sent_seconds"].GetMetric()[0].GetHistogram().GetSampleCount())
	require.Equal(t, 2.0, fams["wagate_pacing_waits_total"].GetMetric()[0].GetCounter().GetValue())
	require.InDelta(t, 6.0, fams["wagate_pacing_wait_seconds"].GetMetric()[0].GetHistogram().GetSampleSum(), 1e-9)

	depth := map[[2]string]float64{}
	for _, mt := range fams["wagate_queue_depth"].GetMetric() {
		depth[[2]string{label(mt, "queue"), label(mt, "state")}] = mt.GetGauge().GetValue()
	}
	require.Equal(t, map[[2]string]float64{{"interactive", "pending"}: 3, {"bulk", "scheduled"}: 7}, depth)

	fams = scrape(t, "http://"+ln.Addr().String()+"/metrics")
	require.Len(t, fams["wagate_queue_depth"].GetMetric(), 1)
	require.Equal(t, "system", label(fams["wagate_queue_depth"].GetMetric()[0], "queue"))

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("ServeListener did not return after its context ended")
	}
}

func TestServe(t *testing.T) {
	t.Parallel()

	t.Run("Off", func(t *testing.T) {
		t.Parallel()
		for _, addr := range []string{"", "off"} {
			require.NoError(t, metrics.Serve(context.Background(), addr, metrics.New(nil).Registry(), quiet()))
		}
	})

	t.Run("OwnListenerEndsWithContext", func(t *testing.T) {
		t.Parallel()
		probe, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := probe.Addr().String()
		require.NoError(t, probe.Close())

		m := metrics.New(nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- metrics.Serve(ctx, addr, m.Registry(), quiet()) }()
		dbtest.WaitFor(t, 5*time.Second, "metrics listener", func() bool {
			resp, err := http.Get("http://" + addr + "/metrics")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("Serve did not return after its context ended")
		}
		_, err = http.Get("http://" + addr + "/metrics")
		require.Error(t, err, "the listener is closed")
	})

	t.Run("BadAddress", func(t *testing.T) {
		t.Parallel()
		err := metrics.Serve(context.Background(), "127.0.0.1:notaport", metrics.New(nil).Registry(), quiet())
		require.Error(t, err)
	})
}

func TestMetrics_Sets(t *testing.T) {
	t.Parallel()
	a, b := metrics.New(nil), metrics.New(nil) // no duplicate-registration panic: registries are separate
	a.MessageStatus("sent")
	fams, err := b.Registry().Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() == "wagate_messages_total" {
			for _, mt := range f.GetMetric() {
				require.Zero(t, mt.GetCounter().GetValue(), "b counts nothing a recorded")
			}
		}
	}

	var none *metrics.Metrics // a service built without metrics
	none.MessageStatus("sent")
	none.ObserveSend(time.Second)
	none.ObserveAcceptToSent(time.Second)
	none.PacingWait(time.Second)
}
