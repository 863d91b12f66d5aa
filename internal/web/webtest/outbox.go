package webtest

import (
	"context"
	"sync"
)

// Mail is one message handed to an Outbox.
type Mail struct{ To, Subject, Body string }

// Outbox is an auth.Mailer that keeps every message it is asked to send instead of sending it: the
// stand-in for an SMTP server. Pass it as Opts.Mailer. It is safe for concurrent use.
type Outbox struct {
	mu   sync.Mutex
	sent []Mail
}

// Send records the message and never fails.
func (o *Outbox) Send(_ context.Context, to, subject, body string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, Mail{To: to, Subject: subject, Body: body})
	return nil
}

// Enabled reports true: with an Outbox the app behaves as if mail were configured.
func (o *Outbox) Enabled() bool { return true }

// Messages returns a copy of the messages sent so far, oldest first.
func (o *Outbox) Messages() []Mail {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Mail(nil), o.sent...)
}
