// Package dashboard renders the portal's home page: the workspace at a glance, its plan and what it
// uses of it so far, and a getting-started checklist. It takes view models only.
package dashboard

import (
	"time"

	"github.com/wagate/wagate/views/paths"
	"github.com/wagate/wagate/views/portalui"
)

// Page is the dashboard.
type Page struct {
	UserName       string
	TenantName     string
	TenantStatus   string
	TenantCreated  time.Time
	Timezone       string
	DefaultCountry string
	Role           string
	CanManage      bool
	Plan           Plan
	Members        int64
	ActiveKeys     int64
	Sessions       int // WhatsApp sessions, of Plan.MaxSessions
}

// Plan is the workspace's plan and its limits.
type Plan struct {
	Name                 string
	MaxSessions          int32
	MessagesPerDay       int32
	SendRatePerMinute    int32
	APIRequestsPerMinute int32
	MaxMediaBytes        int64
	StorageQuotaBytes    int64
}

// Step is one item of the getting-started checklist.
type Step struct {
	Key    string
	Title  string
	Text   string
	Done   bool
	Href   string
	Action string
}

// Steps is the getting-started checklist.
func (p Page) Steps() []Step {
	team := Step{Key: "invite", Title: "Invite a teammate", Href: paths.Team + "#invite", Action: "Invite",
		Text: "Work together: owners and admins manage the workspace, members use it.", Done: p.Members > 1}
	if !p.CanManage {
		team.Text, team.Href, team.Action = "Owners and admins invite people; see who is on your team.", paths.Team, "View team"
	}
	return []Step{
		team,
		{Key: "key", Title: "Create an API key", Href: paths.Keys + "#new-key", Action: "Create key",
			Text: "Keys let your own software call the Wagate API. Each is shown once.", Done: p.ActiveKeys > 0},
		{Key: "docs", Title: "Read the API docs", Href: paths.APIDocs, Action: "Open docs",
			Text: "Every endpoint, with examples you can try against your workspace."},
	}
}

// DoneCount is how many steps are done.
func (p Page) DoneCount() int {
	n := 0
	for _, s := range p.Steps() {
		if s.Done {
			n++
		}
	}
	return n
}

func (p Page) progress() string {
	return portalui.Number(p.DoneCount()*100/len(p.Steps())) + "%"
}

// Limit is one plan limit as a tile.
type Limit struct {
	Key   string
	Icon  string
	Label string
	Value string
	Unit  string
}

// Limits lists the plan's limits in the order the dashboard shows them.
func (p Plan) Limits() []Limit {
	return []Limit{
		{"sessions", "smartphone", "WhatsApp sessions", portalui.Number(p.MaxSessions), "numbers"},
		{"messages", "message", "Messages per day", portalui.Number(p.MessagesPerDay), "messages"},
		{"send-rate", "send", "Send rate per session", portalui.Number(p.SendRatePerMinute), "a minute"},
		{"api-rate", "zap", "API requests", portalui.Number(p.APIRequestsPerMinute), "a minute"},
		{"media", "image", "Media size", portalui.Bytes(p.MaxMediaBytes), "per file"},
		{"storage", "database", "Storage", portalui.Bytes(p.StorageQuotaBytes), "in total"},
	}
}

func firstName(name string) string {
	for i, r := range name {
		if r == ' ' {
			return name[:i]
		}
	}
	return name
}

func greeting(name string) string {
	if f := firstName(name); f != "" {
		return "Welcome back, " + f
	}
	return "Welcome back"
}
