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

// sessionEvents is the tenant's live session updates for htmx's SSE extension: for each change, the
// session's list row, status panel and pairing panel re-rendered (events sessions.RowID, StatusID,
// PairID), which the pages swap in. Only the caller's tenant's channel is read. Streams end when the
// client goes away (a failed write, noticed at the latest by the heartbeat), after streamMaxAge, or
// when the server shuts down (Deps.Streams).
func (h *handlers) sessionEvents(c *fiber.Ctx) error {
	ctx := c.UserContext()
	tenantID := auth.TenantID(ctx)
	frag := h.frag(ctx)
	frag.CSRFToken = strings.Clone(frag.CSRFToken)
	base := h.d.Streams
	if base == nil {
		base = context.Background()
	}
	sctx, cancel := context.WithTimeout(base, streamMaxAge)
	updates, err := h.d.Sessions.Subscribe(sctx, tenantID)
	if err != nil {
		cancel()
		return err
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no") // nginx would otherwise hold the stream back
	st := &stream{svc: h.d.Sessions, tenantID: tenantID, frag: frag, log: h.d.Log}
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer cancel()
		st.run(sctx, w, updates)
	})
	return nil
}

type stream struct {
	svc      *session.Service
	tenantID uuid.UUID
	frag     sessions.Frag
	log      interface {
		WarnContext(ctx context.Context, msg string, args ...any)
	}
}

func (st *stream) run(ctx context.Context, w *bufio.Writer, updates <-chan session.Update) {
	// Subscribed first, then the snapshot: a change between the page load (or the last stream) and
	// now is in one or the other.
	w.WriteString("retry: " + streamRetryMs + "\n: connected\n\n")
	list, err := st.svc.List(ctx, st.tenantID)
	if err != nil {
		return
	}
	for _, s := range list {
		st.writeSession(ctx, w, s)
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
		case u, ok := <-updates:
			if !ok {
				return
			}
			if u.TenantID != st.tenantID { // Subscribe filters already; never trust one layer alone
				continue
			}
			s, err := st.svc.Get(ctx, st.tenantID, u.SessionID)
			if errors.Is(err, session.ErrNotFound) {
				st.writeGone(w, u.SessionID)
			} else if err != nil {
				return
			} else {
				st.writeSession(ctx, w, s)
			}
		case <-tick.C:
			w.WriteString(": heartbeat\n\n")
		}
		if w.Flush() != nil {
			return // the client went away
		}
	}
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
