// Package adminaudit renders the console's audit log: every operator action and security event,
// filtered by tenant, kind of action and actor, newest first with keyset paging. It takes view
// models only and must not import fiber, services or the store.
package adminaudit

import (
	"github.com/wagate/wagate/views/adminui"
	"github.com/wagate/wagate/views/layout"
)

// Page is the audit log.
type Page struct {
	Shell       layout.AdminShell
	Tenant      string // the tenant filter as typed (an id)
	TenantName  string // its name, when the filter names a tenant
	TenantURL   string // its console page
	TenantError string
	Action      string
	Actor       string
	Entries     []adminui.AuditEntry
	Pager       adminui.Pager
}

// Filtered reports whether any filter is set.
func (p Page) Filtered() bool { return p.Tenant != "" || p.Action != "" || p.Actor != "" }

func (p Page) emptyText() string {
	if p.Filtered() {
		return "No entry matches these filters. Widen them or clear them."
	}
	return "Logins, sign-ups and every operator action are recorded here."
}
