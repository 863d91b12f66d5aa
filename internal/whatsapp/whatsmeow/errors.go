package whatsmeow

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/socket"

	"github.com/wagate/wagate/internal/whatsapp"
)

// rateLimitBackoff is how long to wait after WhatsApp answers 429: it gives no Retry-After.
const rateLimitBackoff = time.Minute

var (
	serverErrorCode = regexp.MustCompile(`server returned error (\d+)`)
	uploadStatus    = regexp.MustCompile(`upload failed with status code (\d+)`)
)

// mapError turns an error of whatsmeow into the seam's errors (package whatsapp), keeping the
// original in the chain. Errors with no neutral meaning (timeouts, context ends, network trouble)
// pass through unchanged: they are retried.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var disc *whatsmeow.DisconnectedError
	switch {
	case errors.Is(err, whatsmeow.ErrServerReturnedError):
		// The code is only in the text: "server returned error 463".
		if m := serverErrorCode.FindStringSubmatch(err.Error()); m != nil {
			code, _ := strconv.Atoi(m[1])
			return &whatsapp.ServerError{Code: code, Text: serverErrorText(code)}
		}
		return &whatsapp.ServerError{Text: err.Error()}
	case errors.Is(err, whatsmeow.ErrIQRateOverLimit):
		return &whatsapp.RateLimitedError{RetryAfter: rateLimitBackoff}
	case errors.Is(err, whatsmeow.ErrNotConnected), errors.Is(err, whatsmeow.ErrNotLoggedIn),
		errors.Is(err, whatsmeow.ErrClientIsNil), errors.As(err, &disc):
		return fmt.Errorf("%w: %w", whatsapp.ErrNotConnected, err)
	case errors.Is(err, whatsmeow.ErrRecipientADJID), errors.Is(err, whatsmeow.ErrBroadcastListUnsupported),
		errors.Is(err, whatsmeow.ErrUnknownServer), errors.Is(err, whatsmeow.ErrInvalidInlineBotID):
		return fmt.Errorf("%w: %w", whatsapp.ErrInvalidRecipient, err)
	case errors.Is(err, whatsmeow.ErrNotInGroup), errors.Is(err, whatsmeow.ErrGroupNotFound):
		return fmt.Errorf("%w: %w", whatsapp.ErrNotInGroup, err)
	case errors.Is(err, socket.ErrFrameTooLarge):
		return fmt.Errorf("%w: %w", whatsapp.ErrMessageTooLarge, err)
	case strings.Contains(err.Error(), "no LID found for"):
		// With the LID migration on, a send to a number WhatsApp has no account for fails here.
		return fmt.Errorf("%w: %w", whatsapp.ErrNotOnWhatsApp, err)
	}
	if m := uploadStatus.FindStringSubmatch(err.Error()); m != nil {
		if code, _ := strconv.Atoi(m[1]); code >= 400 && code < 500 && code != 408 && code != 429 {
			return fmt.Errorf("%w: %w", whatsapp.ErrMediaRejected, err)
		}
	}
	return err
}

// serverErrorText explains the send error codes seen in practice (WHATSAPP.md §9).
func serverErrorText(code int) string {
	switch code {
	case 463:
		return "WhatsApp refused a first message to this contact for now (a reach-out limit, or a missing privacy token): wait for the contact to write first, or try again later"
	case 479:
		return "WhatsApp rejected the message as invalid"
	}
	return ""
}

// connectError wraps a failed dial or handshake with whatsapp.ErrConnect and says what failed.
func connectError(err error) error {
	return fmt.Errorf("%w: opening the WhatsApp Web socket failed: %w", whatsapp.ErrConnect, err)
}
