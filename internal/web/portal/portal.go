// Package portal serves the tenant's pages under /app: dashboard, sessions, messages, team, API
// keys, audit log, account and workspace settings, API documentation. Every route here runs behind
// the login and tenant gates of package web, so auth.User and auth.TenantID are always set.
package portal

import (
	"context"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/outbox"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/views/paths"
)

// Deps is what the portal needs.
type Deps struct {
	Log         *slog.Logger
	Audit       *audit.Log
	Users       *auth.Service
	Keys        *auth.APIKeys
	Logins      *auth.Logins
	Tenants     *tenant.Service
	MailEnabled bool
	BaseURL     string
	// Sessions also backs simulator mode: its notice and the "Simulate scan" button.
	Sessions *session.Service
	// Messages, Media and Feed back the message pages: the log, a message's page, the send form
	// with its upload, and the live updates (outbox events of the caller's tenant).
	Messages *message.Service
	Media    *media.Service
	Feed     *outbox.Feed
	// Streams ends when the server shuts down: SSE streams end with it (Fiber's Shutdown waits for them).
	Streams context.Context
}

type handlers struct {
	d Deps
}

// Register adds the portal routes to r (the /app group).
func Register(r fiber.Router, d Deps) {
	h := &handlers{d: d}
	r.Get("", h.showDashboard)

	r.Get(sub(paths.Team), h.showTeam)
	r.Post(sub(paths.TeamInvite), h.inviteMember)
	r.Post(sub(paths.TeamInvite)+"/:id/revoke", h.revokeInvitation)
	r.Post(sub(paths.Team)+"/members/:id/role", h.changeRole)
	r.Get(sub(paths.Team)+"/members/:id/remove", h.confirmRemoveMember)
	r.Post(sub(paths.Team)+"/members/:id/remove", h.removeMember)
	r.Post(sub(paths.Team)+"/members/:id/reset-link", h.makeResetLink)

	r.Get(sub(paths.Keys), h.listKeys)
	r.Post(sub(paths.Keys), h.createKey)
	r.Get(sub(paths.Keys)+"/:id/revoke", h.confirmRevokeKey)
	r.Post(sub(paths.Keys)+"/:id/revoke", h.revokeKey)

	r.Get(sub(paths.Audit), h.showAudit)

	r.Get(sub(paths.Account), h.showAccount)
	r.Post(sub(paths.AccountPassword), h.changePassword)
	r.Get(sub(paths.AccountTOTP), h.showTOTPSetup)
	r.Post(sub(paths.AccountTOTP), h.enableTOTP)
	r.Post(sub(paths.AccountTOTPDisable), h.disableTOTP)

	r.Get(sub(paths.Settings), h.showSettings)
	r.Post(sub(paths.Settings), h.saveSettings)

	r.Get(sub(paths.APIDocs), h.showAPIDocs)

	r.Get(sub(paths.Sessions), h.listSessions)
	r.Post(sub(paths.Sessions), h.createSession)
	r.Get(sub(paths.SessionsEvents), h.sessionEvents) // before /:id
	r.Get(sub(paths.Sessions)+"/:id", h.showSession)
	r.Post(sub(paths.Sessions)+"/:id/"+paths.SessionPair, h.pairSession)
	r.Post(sub(paths.Sessions)+"/:id/"+paths.SessionSimulateScan, h.simulateScan)
	r.Post(sub(paths.Sessions)+"/:id/"+paths.SessionReconnect, h.reconnectSession)
	r.Get(sub(paths.Sessions)+"/:id/"+paths.SessionLogout, h.confirmLogoutSession)
	r.Post(sub(paths.Sessions)+"/:id/"+paths.SessionLogout, h.logoutSession)
	r.Get(sub(paths.Sessions)+"/:id/"+paths.SessionDelete, h.confirmDeleteSession)
	r.Post(sub(paths.Sessions)+"/:id/"+paths.SessionDelete, h.deleteSession)

	r.Get(sub(paths.Messages), h.listMessages)
	r.Post(sub(paths.Messages), h.sendMessage)
	r.Get(sub(paths.MessageNew), h.newMessageForm)    // before /:id
	r.Get(sub(paths.MessagesEvents), h.messageEvents) // before /:id
	r.Get(sub(paths.Messages)+"/:id", h.showMessage)
	r.Get(sub(paths.Messages)+"/:id/"+paths.MessageCancel, h.confirmCancelMessage)
	r.Post(sub(paths.Messages)+"/:id/"+paths.MessageCancel, h.cancelMessage)
}

// sub is a portal path relative to the /app group.
func sub(p string) string { return strings.TrimPrefix(p, paths.App) }
