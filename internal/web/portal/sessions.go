package portal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/components"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/paths"
	"github.com/wagate/wagate/views/portalui"
	"github.com/wagate/wagate/views/sessions"
)

func (h *handlers) listSessions(c *fiber.Ctx) error {
	return h.renderSessions(c, fiber.StatusOK, sessions.Form{})
}

// renderSessions renders the list; with an error status it carries the new-session form's problem.
func (h *handlers) renderSessions(c *fiber.Ctx, status int, form sessions.Form) error {
	ctx := c.UserContext()
	tenantID := auth.TenantID(ctx)
	list, err := h.d.Sessions.List(ctx, tenantID)
	if err != nil {
		return err
	}
	o, err := h.d.Tenants.Overview(ctx, tenantID)
	if err != nil {
		return err
	}
	p := sessions.IndexPage{Frag: h.frag(ctx), Max: int(o.Plan.MaxSessions), Form: form}
	for _, s := range list {
		p.Sessions = append(p.Sessions, sessionView(s))
	}
	return httpx.Render(c, status, sessions.Index(h.shell(c, "Sessions", layout.NavSessions), p))
}

func (h *handlers) createSession(c *fiber.Ctx) error {
	ctx := c.UserContext()
	form := sessions.Form{Name: c.FormValue("name")}
	s, err := h.d.Sessions.Create(ctx, auth.TenantID(ctx), form.Name)
	var le *session.LimitError
	if errs, ok := fieldErrors(err); ok {
		form.Errors = errs
		return h.renderSessions(c, fiber.StatusUnprocessableEntity, form)
	} else if errors.As(err, &le) {
		form.Error = httpx.Sentence(le.Error())
		return h.renderSessions(c, fiber.StatusConflict, form)
	} else if err != nil {
		return err
	}
	h.success(ctx, "Session created. Pair it with your phone to start.")
	return httpx.Redirect(c, paths.Session(s.ID))
}

func (h *handlers) showSession(c *fiber.Ctx) error {
	return h.renderSession(c, fiber.StatusOK, sessions.Form{})
}

// renderSession renders a session's page from Postgres (a reload shows what the stream showed).
func (h *handlers) renderSession(c *fiber.Ctx, status int, pairForm sessions.Form) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	tenantID := auth.TenantID(ctx)
	s, err := h.d.Sessions.Get(ctx, tenantID, id)
	if err != nil {
		return err
	}
	events, err := h.d.Sessions.History(ctx, tenantID, id, historyLength)
	if err != nil {
		return err
	}
	recent, err := h.recentView(ctx, tenantID, s)
	if err != nil {
		return err
	}
	p := sessions.ShowPage{Frag: h.frag(ctx), Session: sessionView(s), PairForm: pairForm, History: historyView(events), Recent: recent}
	return httpx.Render(c, status, sessions.Show(h.shell(c, s.Name, layout.NavSessions), p))
}

// pairSession starts a pairing: by QR code, or by a pairing code when the form has a phone number.
func (h *handlers) pairSession(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	phone := c.FormValue("phone")
	_, err = h.d.Sessions.RequestPair(ctx, auth.TenantID(ctx), id, phone)
	if errs, ok := fieldErrors(err); ok {
		return h.renderSession(c, fiber.StatusUnprocessableEntity, sessions.Form{Phone: phone, Errors: errs})
	} else if errors.Is(err, session.ErrAlreadyPaired) {
		h.flash(ctx, components.FlashInfo, "This session is paired already. Log it out first to pair another phone.")
		return httpx.Redirect(c, paths.Session(id))
	} else if err != nil {
		return err
	}
	return httpx.Redirect(c, paths.Session(id))
}

// simulateScan "scans" the session's QR code with a made-up phone (simulator mode only). htmx
// posts it without a page load: the page then follows the pairing over SSE.
func (h *handlers) simulateScan(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	err = h.d.Sessions.SimulateScan(ctx, auth.TenantID(ctx), id)
	if errors.Is(err, session.ErrNoQRCode) && !httpx.IsHTMX(c) {
		h.flash(ctx, components.FlashError, httpx.Sentence(session.ErrNoQRCode.Error()))
		return httpx.Redirect(c, paths.Session(id))
	} else if err != nil {
		return err // htmx shows a 409's message in place; without the simulator there is no such page (404)
	}
	if httpx.IsHTMX(c) {
		return c.SendStatus(fiber.StatusNoContent)
	}
	return httpx.Redirect(c, paths.Session(id))
}

func (h *handlers) reconnectSession(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if _, err := h.d.Sessions.Reconnect(ctx, auth.TenantID(ctx), id); err != nil {
		return err
	}
	h.success(ctx, "Reconnecting. The status below follows it.")
	return httpx.Redirect(c, paths.Session(id))
}

func (h *handlers) confirmLogoutSession(c *fiber.Ctx) error {
	return h.confirmSession(c, paths.SessionLogout, "Log out", "Log out “%s”?",
		"The number is unlinked, on WhatsApp too, and its device keys are wiped. The session stays: pair it again to use it.",
		"Messages waiting for this session wait until it is paired again or they expire.")
}

func (h *handlers) logoutSession(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if _, err := h.d.Sessions.Logout(ctx, auth.TenantID(ctx), id); err != nil {
		return err
	}
	h.success(ctx, "Logging out. The device is unlinked and its keys wiped.")
	return httpx.Redirect(c, paths.Session(id))
}

func (h *handlers) confirmDeleteSession(c *fiber.Ctx) error {
	return h.confirmSession(c, paths.SessionDelete, "Delete session", "Delete “%s”?",
		"If it is connected, it is logged out on WhatsApp first; its device keys are wiped even when it is offline, and the session is removed.",
		"This cannot be undone: to use the number again, create a new session and pair it.")
}

func (h *handlers) deleteSession(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if err := h.d.Sessions.Delete(ctx, auth.TenantID(ctx), id); err != nil {
		return err
	}
	h.success(ctx, "Session deleted; its device keys are wiped.")
	return httpx.Redirect(c, paths.Sessions)
}

// confirmSession renders the confirmation page before a destructive action on a session.
func (h *handlers) confirmSession(c *fiber.Ctx, action, button, title, text, detail string) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	s, err := h.d.Sessions.Get(ctx, auth.TenantID(ctx), id)
	if err != nil {
		return err
	}
	if action == paths.SessionLogout && !s.Paired() {
		h.flash(ctx, components.FlashInfo, "This session is not paired: there is nothing to log out.")
		return httpx.Redirect(c, paths.Session(id))
	}
	cf := portalui.Confirm{Action: paths.SessionAction(id, action), CancelURL: paths.Session(id), CSRFToken: h.csrf(ctx),
		TestID: "session-" + action + "-form", Title: fmt.Sprintf(title, s.Name), Button: button, Text: text, Detail: detail}
	return httpx.Render(c, fiber.StatusOK, sessions.Confirm(h.shell(c, button, layout.NavSessions), cf))
}

func (h *handlers) frag(ctx context.Context) sessions.Frag {
	return sessions.Frag{CSRFToken: h.csrf(ctx), Simulator: h.d.Sessions.Simulated(), Now: time.Now()}
}

// historyLength is how many status changes a session page shows.
const historyLength = 20

func historyView(events []session.Event) []sessions.Event {
	out := make([]sessions.Event, 0, len(events))
	for _, e := range events {
		ev := sessions.Event{Status: e.Status, Reason: e.Reason, At: e.At}
		if e.Instance != nil {
			ev.Instance = e.Instance.String()
		}
		out = append(out, ev)
	}
	return out
}

// sessionView is a session as the pages show it, with its QR code drawn.
func sessionView(s session.Session) sessions.Session {
	v := sessions.Session{ID: s.ID, Name: s.Name, Status: s.Status, Reason: s.StatusReason, StatusChanged: s.StatusChangedAt,
		Phone: s.Phone, PushName: s.PushName, Paired: s.Paired(), PairMethod: s.PairMethod, PairPhoneNum: s.PairPhone,
		PairCode: s.PairCode, PairCodeUntil: s.PairCodeExpiresAt, ConnectedAt: s.ConnectedAt, Created: s.CreatedAt}
	if s.Holder != nil {
		v.Holder = s.Holder.String()
	}
	if s.Status == session.StatusPairing && s.QR != "" {
		v.QR, v.QRExpires = s.QR, s.QRExpiresAt
		v.QRImage = httpx.QRDataURI(s.QR)
	}
	return v
}
