// Package keys renders the portal's API key pages: the list with the form for a new key, the page
// that shows a new key's secret once, and the confirmation before revoking one. It takes view
// models only.
package keys

import (
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/views/portalui"
)

// Page is the API keys page.
type Page struct {
	CSRFToken string
	Keys      []Key
	Form      Form
	Now       time.Time
}

// Key is one row of the list.
type Key struct {
	ID        uuid.UUID
	Name      string
	Prefix    string
	Scopes    []string
	CreatedBy string
	Created   time.Time
	LastUsed  *time.Time
	Revoked   *time.Time
	CanRevoke bool
}

// Form is the new-key form.
type Form struct {
	Name   string
	Scopes []string
	Errors portalui.Errors
}

// Scope describes one scope for the form.
type Scope struct {
	Name string
	Text string
}

// Scopes are the scopes a key may carry, in order, with what they allow.
var Scopes = []Scope{
	{"read", "Look at sessions, messages and usage."},
	{"send", "Send messages."},
	{"manage", "Create, pair, reconnect, log out and delete sessions."},
}

// DefaultScopes are ticked on a fresh form.
var DefaultScopes = []string{"read", "send"}

func (f Form) checked(scope string) bool {
	for _, s := range f.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// LiveCount is how many keys are not revoked.
func (p Page) LiveCount() int {
	n := 0
	for _, k := range p.Keys {
		if k.Revoked == nil {
			n++
		}
	}
	return n
}

// CreatedPage shows a new key's secret, once.
type CreatedPage struct {
	Name   string
	Prefix string
	Secret string
	Scopes []string
	Curl   string
}

// CurlExample is a ready-to-run request with key against the API at baseURL.
func CurlExample(baseURL, key string) string {
	return "curl \\\n  -H \"Authorization: Bearer " + key + "\" \\\n  " + baseURL + "/api/v1/me"
}

func masked(prefix string) string { return prefix + "…" }

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
