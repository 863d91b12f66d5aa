// Package adminsessions renders the console's session list: every tenant's WhatsApp sessions with
// their status and holding instance, a search by tenant or phone, and the force-disconnect action.
// It takes view models only.
package adminsessions

import (
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/views/adminui"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/sessions"
)

// ListID is the list's swap target (the part a search replaces).
const ListID = "session-list"

// ListPage is the console's session list.
type ListPage struct {
	Shell     layout.AdminShell
	CSRFToken string
	Query     string
	Total     int64
	Rows      []Row
	Pager     adminui.Pager
	Self      string // this page's URL, where an action returns
}

// TotalText is "1 session" or "12 sessions".
func (p ListPage) TotalText() string {
	if p.Total == 1 {
		return "1 session"
	}
	return adminui.Count(p.Total) + " sessions"
}

// Row is one session.
type Row struct {
	ID            uuid.UUID
	TenantID      uuid.UUID
	TenantName    string
	Name          string
	Status        string
	Reason        string
	StatusChanged time.Time
	Phone         string
	Holder        string
}

// CanDisconnect reports whether a force disconnect means anything (it is not parked already).
func (r Row) CanDisconnect() bool { return r.Status != "parked" }

// PhoneDisplay is the number with a plus, or a dash.
func (r Row) PhoneDisplay() string {
	if r.Phone == "" {
		return "—"
	}
	return "+" + r.Phone
}

// ShortHolder is the holding instance's short id, or "—".
func (r Row) ShortHolder() string {
	if r.Holder == "" {
		return "—"
	}
	return sessions.Short(r.Holder)
}
