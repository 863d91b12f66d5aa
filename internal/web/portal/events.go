package portal

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/views/sessions"
)

// SSE stream timing. Fiber (fasthttp) sets one write deadline per response (WriteTimeout, 60 s),
// so a stream ends itself before that and the browser reconnects: every new stream starts with the
// current state of every session, so nothing is missed in between.
const (
	streamHeartbeat = 15 * time.Second
	streamMaxAge    = 50 * time.Second
	streamRetryMs   = "1000"
)

// eventStream is what one SSE endpoint streams for a tenant: its page's state as it is now, then
// what each of the tenant's events changes.
type eventStream[E any] struct {
	tenantID  uuid.UUID
	subscribe func(context.Context) (<-chan E, error)
	tenantOf  func(E) uuid.UUID
	snapshot  func(ctx context.Context, w *bufio.Writer) error
	// event writes what e changes; an error ends the stream.
	event func(ctx context.Context, w *bufio.Writer, e E) error
}

// serveEvents answers c with es as a server-sent-events stream for htmx's SSE extension. Only the
// stream's tenant's events are written. Streams end when the client goes away (a failed write,
// noticed at the latest by the heartbeat), after streamMaxAge, when the subscription ends, when
// writing fails, or when the server shuts down (shutdown, Deps.Streams).
func serveEvents[E any](c *fiber.Ctx, shutdown context.Context, es eventStream[E]) error {
	if shutdown == nil {
		shutdown = context.Background()
	}
	sctx, cancel := context.WithTimeout(shutdown, streamMaxAge)
	events, err := es.subscribe(sctx)
	if err != nil {
		cancel()
		return err
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no") // nginx would otherwise hold the stream back
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer cancel()
		es.run(sctx, w, events)
	})
	return nil
}

func (es eventStream[E]) run(ctx context.Context, w *bufio.Writer, events <-chan E) {
	// Subscribed first, then the snapshot: a change between the page load (or the last stream) and
	// now is in one or the other (both is harmless: every fragment is the state when it is written).
	w.WriteString("retry: " + streamRetryMs + "\n: connected\n\n")
	if err := es.snapshot(ctx, w); err != nil {
		return
	}
	if w.Flush() != nil {
		return
	}
	tick := time.NewTicker(streamHeartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			if es.tenantOf(e) != es.tenantID { // the subscription filters already; never trust one layer alone
				continue
			}
			if err := es.event(ctx, w, e); err != nil {
				return
			}
		case <-tick.C:
			w.WriteString(": heartbeat\n\n")
		}
		if w.Flush() != nil {
			return // the client went away
		}
	}
}

// sessionEvents is the tenant's live session updates: for each change, the session's list row,
// status panel and pairing panel re-rendered (events sessions.RowID, StatusID, PairID), which the
// pages swap in. Each stream first sends every session as it is now.
func (h *handlers) sessionEvents(c *fiber.Ctx) error {
	ctx := c.UserContext()
	tenantID := auth.TenantID(ctx)
	frag := h.frag(ctx)
	frag.CSRFToken = strings.Clone(frag.CSRFToken)
	st := &stream{svc: h.d.Sessions, tenantID: tenantID, frag: frag}
	return serveEvents(c, h.d.Streams, eventStream[session.Update]{tenantID: tenantID,
		subscribe: func(ctx context.Context) (<-chan session.Update, error) { return h.d.Sessions.Subscribe(ctx, tenantID) },
		tenantOf:  func(u session.Update) uuid.UUID { return u.TenantID },
		snapshot:  st.snapshot, event: st.update})
}

type stream struct {
	svc      *session.Service
	tenantID uuid.UUID
	frag     sessions.Frag
}

// snapshot sends every session of the tenant as it is now.
func (st *stream) snapshot(ctx context.Context, w *bufio.Writer) error {
	list, err := st.svc.List(ctx, st.tenantID)
	if err != nil {
		return err
	}
	for _, s := range list {
		st.writeSession(ctx, w, s)
	}
	return nil
}

// update sends the session u names, or removes its row when it was deleted.
func (st *stream) update(ctx context.Context, w *bufio.Writer, u session.Update) error {
	s, err := st.svc.Get(ctx, st.tenantID, u.SessionID)
	if errors.Is(err, session.ErrNotFound) {
		st.writeGone(w, u.SessionID)
		return nil
	} else if err != nil {
		return err
	}
	st.writeSession(ctx, w, s)
	return nil
}

// writeSession sends the session's three fragments.
func (st *stream) writeSession(ctx context.Context, w *bufio.Writer, s session.Session) {
	f := st.frag
	f.Now = time.Now()
	v := sessionView(s)
	writeEvent(ctx, w, sessions.RowID(s.ID), sessions.Row(v, f))
	writeEvent(ctx, w, sessions.StatusID(s.ID), sessions.StatusPanel(v, f))
	writeEvent(ctx, w, sessions.PairID(s.ID), sessions.PairPanel(v, f, sessions.Form{}))
	if events, err := st.svc.History(ctx, st.tenantID, s.ID, historyLength); err == nil {
		writeEvent(ctx, w, sessions.HistoryID(s.ID), sessions.History(historyView(events), f))
	}
}

// writeGone removes a deleted session's row (an empty outerHTML swap).
func (st *stream) writeGone(w *bufio.Writer, id uuid.UUID) {
	w.WriteString("event: " + sessions.RowID(id) + "\ndata: \n\n")
}

func writeEvent(ctx context.Context, w *bufio.Writer, name string, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		return
	}
	w.WriteString("event: " + name + "\n")
	for _, line := range strings.Split(buf.String(), "\n") {
		w.WriteString("data: " + line + "\n")
	}
	w.WriteString("\n")
}
