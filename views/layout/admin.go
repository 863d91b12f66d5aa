package layout

// Sections of the operator console, one per sidebar entry.
const (
	AdminOverview = "overview"
	AdminTenants  = "tenants"
	AdminSessions = "sessions"
	AdminPlans    = "plans"
	AdminAudit    = "audit"
	AdminSettings = "settings"
)

// AdminShell is what a console page tells the console's shell: its head, the sidebar entry to
// highlight, who is logged in, and a one-time message to show above the page.
type AdminShell struct {
	Head          Head
	Section       string
	OperatorEmail string
	OperatorName  string
	FlashKind     string
	FlashText     string
}

type adminNavItem struct {
	Section string
	Label   string
	Icon    string
	URL     string
}

var adminNav = []adminNavItem{
	{AdminOverview, "Overview", "grid", "/admin"},
	{AdminTenants, "Tenants", "building", "/admin/tenants"},
	{AdminSessions, "Sessions", "smartphone", "/admin/sessions"},
	{AdminPlans, "Plans", "layers", "/admin/plans"},
	{AdminAudit, "Audit log", "scroll", "/admin/audit"},
	{AdminSettings, "Settings", "settings", "/admin/settings"},
}

func (s AdminShell) navClass(item adminNavItem) string {
	if item.Section == s.Section {
		return "wg-side__link is-active"
	}
	return "wg-side__link"
}

func (s AdminShell) current(item adminNavItem) string {
	if item.Section == s.Section {
		return "page"
	}
	return "false"
}
