package layout

import "github.com/wagate/wagate/views/paths"

// Portal navigation items: Shell.Active names the one the page belongs to.
const (
	NavDashboard = "dashboard"
	NavSessions  = "sessions"
	NavMessages  = "messages"
	NavTeam      = "team"
	NavKeys      = "keys"
	NavAudit     = "audit"
	NavAPIDocs   = "api-docs"
	NavSettings  = "settings"
	NavAccount   = "account"
)

// Shell is what the portal's app shell needs around every page: who is logged in, in which
// workspace, the page's title and nav item, the CSRF token, a one-time flash message, and whether
// the server runs the WhatsApp simulator.
type Shell struct {
	Title      string
	Active     string
	UserName   string
	UserEmail  string
	UserRole   string
	TenantName string
	// CanManage shows the owner and admin pages (audit log, settings) in the navigation.
	CanManage bool
	CSRFToken string
	Flash     *ShellFlash
	Simulator bool
}

// ShellFlash is a one-time message shown at the top of the page.
type ShellFlash struct {
	Kind string // components.FlashSuccess, FlashError, FlashWarning, FlashInfo
	Text string
}

type navItem struct {
	Key   string
	Label string
	Href  string
	Icon  string
}

type navGroup struct {
	Label string
	Items []navItem
}

func (s Shell) nav() []navGroup {
	groups := []navGroup{
		{Items: []navItem{
			{NavDashboard, "Dashboard", paths.App, "dashboard"},
			{NavSessions, "Sessions", paths.Sessions, "message"},
			{NavMessages, "Messages", paths.Messages, "send"},
			{NavTeam, "Team", paths.Team, "users"},
		}},
		{Label: "Developers", Items: []navItem{
			{NavKeys, "API keys", paths.Keys, "key"},
			{NavAPIDocs, "API docs", paths.APIDocs, "book"},
		}},
	}
	ws := navGroup{Label: "Workspace"}
	if s.CanManage {
		ws.Items = append(ws.Items, navItem{NavAudit, "Audit log", paths.Audit, "scroll"}, navItem{NavSettings, "Settings", paths.Settings, "settings"})
	}
	ws.Items = append(ws.Items, navItem{NavAccount, "Account", paths.Account, "user"})
	return append(groups, ws)
}

func navClass(active bool) string {
	if active {
		return "wg-nav-item is-active"
	}
	return "wg-nav-item"
}

func ariaCurrent(active bool) string {
	if active {
		return "page"
	}
	return "false"
}
