// Package mail sends the platform's mail (invitations, password resets) over SMTP_URL, or, without
// it, writes each message to the log so a single-machine install still works. It imports nothing
// from the project's domain packages.
package mail

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"

	gomail "github.com/wneessen/go-mail"
)

// Mailer sends plain-text mail.
type Mailer struct {
	url  *url.URL
	from string
	log  *slog.Logger
}

// New parses smtpURL (smtp://user:pass@host:587?from=noreply@example.com with STARTTLS required;
// smtps:// for implicit TLS; ?tls=opportunistic for a local relay without TLS). An empty URL gives
// a mailer that logs.
func New(smtpURL string, log *slog.Logger) (*Mailer, error) {
	m := &Mailer{log: log, from: "Wagate <noreply@localhost>"}
	if smtpURL == "" {
		return m, nil
	}
	u, err := url.Parse(smtpURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, fmt.Errorf("SMTP_URL must look like smtp://user:pass@host:587?from=noreply@example.com")
	}
	if f := u.Query().Get("from"); f != "" {
		m.from = f
	}
	m.url = u
	return m, nil
}

// Enabled reports whether mail really leaves the server.
func (m *Mailer) Enabled() bool { return m.url != nil }

// Send sends one message, or logs it when no SMTP server is configured.
func (m *Mailer) Send(ctx context.Context, to, subject, body string) error {
	if m.url == nil {
		m.log.InfoContext(ctx, "mail not sent: no SMTP_URL; here it is", "to", to, "subject", subject, "body", body)
		return nil
	}
	msg := gomail.NewMsg()
	if err := msg.From(m.from); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	if err := msg.To(to); err != nil {
		return fmt.Errorf("mail to: %w", err)
	}
	msg.Subject(subject)
	msg.SetBodyString(gomail.TypeTextPlain, body)
	opts := []gomail.Option{}
	if p := m.url.Port(); p != "" {
		n, _ := strconv.Atoi(p)
		opts = append(opts, gomail.WithPort(n))
	}
	switch {
	case m.url.Scheme == "smtps":
		opts = append(opts, gomail.WithSSL())
	case m.url.Query().Get("tls") == "opportunistic":
		// Only for local relays without STARTTLS: links in our mails log people in.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if m.url.User != nil {
		pass, _ := m.url.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(m.url.User.Username()), gomail.WithPassword(pass))
	}
	c, err := gomail.NewClient(m.url.Hostname(), opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	return nil
}
