// Package layout owns the page shells every view renders inside: the document
// head (assets, htmx configuration, CSRF token) and the full-page error screen.
// It takes view models only and must not import fiber, services or the store.
package layout

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Head is what a page tells the document shell about itself.
type Head struct {
	// Title is the page's own title; the shell renders "Title · Wagate".
	Title string
	// Description fills <meta name="description"> when set.
	Description string
	// CSRFToken, when set, is published as <meta name="csrf-token"> and sent by
	// htmx on every request as the X-CSRF-Token header.
	CSRFToken string
}

// ErrorPageModel is a full-page error (404, 500 …) shown to a browser.
type ErrorPageModel struct {
	// Status is the HTTP status code, shown large on the page.
	Status int
	// Title is the headline; empty means the standard status text ("Not Found").
	Title string
	// Detail is one or two friendly sentences; empty means a default for Status.
	Detail string
	// RequestID is shown small so users can quote it to support; omitted when empty.
	RequestID string
}

// HTMXConfig is the htmx-config meta content. htmx 2 does not swap 4xx
// responses by default; we swap 422 so re-rendered forms with field errors
// replace the form, and keep other errors out of the page.
const HTMXConfig = `{"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"[45]..","swap":false,"error":true}]}`

// CSRFHeader is the request header htmx sends the CSRF token in.
const CSRFHeader = "X-CSRF-Token"

const siteName = "Wagate"

func pageTitle(title string) string {
	if title == "" {
		return siteName
	}
	return title + " · " + siteName
}

// csrfHeaders is the hx-headers value carrying token; json.Marshal escapes it
// as a JSON string and templ then escapes the whole value as an attribute.
func csrfHeaders(token string) string {
	b, err := json.Marshal(map[string]string{CSRFHeader: token})
	if err != nil {
		// Marshalling a map of strings cannot fail.
		return "{}"
	}
	return string(b)
}

func (m ErrorPageModel) title() string {
	if m.Title != "" {
		return m.Title
	}
	if t := http.StatusText(m.Status); t != "" {
		return t
	}
	return "Something went wrong"
}

func (m ErrorPageModel) detail() string {
	switch {
	case m.Detail != "":
		return m.Detail
	case m.Status == http.StatusNotFound:
		return "The page you are looking for does not exist or has moved."
	case m.Status == http.StatusForbidden:
		return "You do not have access to this page."
	case m.Status == http.StatusTooManyRequests:
		return "Too many requests in a short time. Please wait a moment and try again."
	case m.Status >= 500:
		return "Something went wrong on our side. We have been notified; please try again in a moment."
	default:
		return "We could not handle this request."
	}
}

func (m ErrorPageModel) code() string {
	if m.Status < 100 || m.Status > 999 {
		return "Error"
	}
	return strconv.Itoa(m.Status)
}
