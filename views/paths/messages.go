package paths

import (
	"net/url"

	"github.com/google/uuid"
)

// Portal message pages (a tenant's sent and received WhatsApp messages).
const (
	Messages       = "/app/messages"
	MessageNew     = "/app/messages/new"    // GET: the send form; the form POSTs to Messages
	MessagesEvents = "/app/messages/events" // SSE: the tenant's message updates as HTML fragments
)

// MessageCancel is the last segment of a message's cancel route (GET: the confirmation; POST: cancel).
const MessageCancel = "cancel"

// Message is a message's page.
func Message(id uuid.UUID) string { return Messages + "/" + id.String() }

// MessageAction is a route on a message: cancel.
func MessageAction(id uuid.UUID, action string) string { return Message(id) + "/" + action }

// MessagesQuery is the message log with the filters in q (keys session, status, direction, from,
// to, number, cursor); empty values are left out.
func MessagesQuery(q url.Values) string { return withQuery(Messages, q) }

// MessagesForSession is the message log filtered to one session.
func MessagesForSession(id uuid.UUID) string {
	return MessagesQuery(url.Values{"session": {id.String()}})
}

// MessageNewForSession is the send form with the session chosen.
func MessageNewForSession(id uuid.UUID) string {
	return MessageNew + "?" + url.Values{"session": {id.String()}}.Encode()
}

// MessagesEventsQuery is the message stream for a page: q carries the page's filters and cursor
// (so the stream can resend the page's rows when it starts), since the moment the page was made
// (messages created later are new to it), and message the id of a message whose page is open.
func MessagesEventsQuery(q url.Values) string { return withQuery(MessagesEvents, q) }

// withQuery is base with the non-empty values of q (the first of each key).
func withQuery(base string, q url.Values) string {
	v := url.Values{}
	for k, vs := range q {
		if len(vs) > 0 && vs[0] != "" {
			v.Set(k, vs[0])
		}
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}
