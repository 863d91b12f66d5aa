package whatsapp

import (
	"errors"
	"fmt"
	"time"
)

// Errors a Driver returns. Permanent ones fail a send at once; the others are retried.
var (
	// Connection state.
	ErrNotConnected  = errors.New("whatsapp: session is not connected")
	ErrNotPaired     = errors.New("whatsapp: session is not paired")
	ErrAlreadyPaired = errors.New("whatsapp: session is already paired")
	ErrLoggedOut     = errors.New("whatsapp: session was logged out; pair it again")
	ErrConnect       = errors.New("whatsapp: cannot reach WhatsApp")

	// Pairing.
	ErrPairTimeout  = errors.New("whatsapp: no scan within the pairing window")
	ErrInvalidPhone = errors.New("whatsapp: phone number must be international digits without a leading 0")

	// Sending.
	ErrNotOnWhatsApp    = errors.New("whatsapp: the number is not on WhatsApp")
	ErrInvalidRecipient = errors.New("whatsapp: invalid recipient")
	ErrMediaRejected    = errors.New("whatsapp: media was rejected")
	ErrNotInGroup       = errors.New("whatsapp: the account is not in that group")
	ErrMessageTooLarge  = errors.New("whatsapp: message too large")
)

// RateLimitedError means WhatsApp asked to slow down.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("whatsapp: rate limited; retry after %s", e.RetryAfter)
}

// ServerError is an error code WhatsApp returned for a send (e.g. 463, 479).
type ServerError struct {
	Code int
	Text string
}

func (e *ServerError) Error() string {
	if e.Text == "" {
		return fmt.Sprintf("whatsapp: server returned error %d", e.Code)
	}
	return fmt.Sprintf("whatsapp: server returned error %d (%s)", e.Code, e.Text)
}

// IsPermanent reports whether retrying err cannot help: the message fails at once with its reason.
func IsPermanent(err error) bool {
	switch {
	case errors.Is(err, ErrNotOnWhatsApp), errors.Is(err, ErrInvalidRecipient), errors.Is(err, ErrMediaRejected),
		errors.Is(err, ErrNotInGroup), errors.Is(err, ErrMessageTooLarge), errors.Is(err, ErrLoggedOut),
		errors.Is(err, ErrNotPaired):
		return true
	}
	var se *ServerError
	if errors.As(err, &se) {
		// 4xx codes other than rate limits are refusals of this message; 5xx are WhatsApp's trouble.
		return se.Code >= 400 && se.Code < 500 && se.Code != 429
	}
	return false
}
