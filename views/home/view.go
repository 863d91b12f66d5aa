// Package home owns the public landing page. It renders view models only and
// must not import fiber, services or the store.
package home

// Page is the landing page's view model.
type Page struct {
	// Version is the running build's version, shown in the footer.
	Version string
	// SignupOpen shows the Sign up and Log in calls to action; until accounts
	// exist it is false and the page links to no account pages.
	SignupOpen bool
}

// Paths of the account pages the calls to action lead to once SignupOpen is true.
const (
	signupPath = "/signup"
	loginPath  = "/login"
)

type feature struct {
	Icon  string // components.Icon name
	Title string
	Text  string
}

var features = []feature{
	{
		Icon:  "qr",
		Title: "Sessions by QR or pairing code",
		Text: "Link any number by scanning a QR code or typing a pairing code. Dropped connections heal " +
			"themselves with backoff, and each number stays online on exactly one server.",
	},
	{
		Icon:  "layers",
		Title: "Durable send queue",
		Text: "Every accepted message is stored before we answer. Per-number pacing, random delays and " +
			"daily quotas keep your numbers healthy, even through restarts.",
	},
	{
		Icon:  "send",
		Title: "Text, media and more",
		Text: "Send text, images, video, audio, documents, locations and contact cards, now or at a set " +
			"time. Cancel a message until it goes out.",
	},
	{
		Icon:  "inbox",
		Title: "Live statuses and replies",
		Text: "Watch each message go from queued to sent, delivered and read without reloading, and see " +
			"replies, reactions and edits arrive in the portal as they happen.",
	},
	{
		Icon:  "code",
		Title: "REST API with OpenAPI",
		Text: "Scoped API keys per workspace, idempotent POSTs and problem+json errors on every route. " +
			"Generate your client from the OpenAPI 3.1 spec and ship in an afternoon.",
	},
	{
		Icon:  "gauge",
		Title: "Operator console",
		Text: "Run the platform from one place: tenants, plans and their quotas, linked sessions and the " +
			"health of every instance, with an audit log of each change.",
	},
}

type step struct {
	Title string
	Text  string
}

var steps = []step{
	{
		Title: "Link a number",
		Text:  "Create a session in the portal and scan the QR code with WhatsApp, or enter a pairing code.",
	},
	{
		Title: "Send from anywhere",
		Text:  "Send a message from the portal, or make one call to the API with a key of your own.",
	},
	{
		Title: "Hear back instantly",
		Text:  "Receipts and replies stream into the portal live, and your code reads each message's status from the API.",
	},
}

type fact struct {
	Value string
	Label string
}

var facts = []fact{
	{Value: "202", Label: "only after your message is safely stored"},
	{Value: "45 s", Label: "to move a number off a failed server"},
	{Value: "1", Label: "server holds each number, never two at once"},
	{Value: "3.1", Label: "OpenAPI spec for every endpoint"},
}
