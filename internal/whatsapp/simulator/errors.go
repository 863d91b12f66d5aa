package simulator

import (
	"errors"
	"fmt"
	"time"

	"github.com/wagate/wagate/internal/whatsapp"
)

// Errors of the simulator's test hooks.
var (
	ErrNoPairing     = errors.New("simulator: no pairing of that kind is waiting for this session")
	ErrWrongCode     = errors.New("simulator: wrong pairing code")
	ErrNoAccount     = errors.New("simulator: the session has no linked account")
	ErrNoConnection  = errors.New("simulator: the session has no live connection")
	ErrNotInjectable = errors.New("simulator: this event cannot be injected")
	ErrMediaNotFound = errors.New("simulator: no such media")
)

// RefusedError is a login WhatsApp refused (temporary ban, client outdated, another connect failure).
// Connect returns it after the same event went to the handler. Like the whatsmeow driver's refusals
// it wraps whatsapp.ErrConnect; a remote logout is whatsapp.ErrLoggedOut instead.
type RefusedError struct{ Event whatsapp.Event }

// Unwrap makes errors.Is(err, whatsapp.ErrConnect) hold.
func (e *RefusedError) Unwrap() error { return whatsapp.ErrConnect }

func (e *RefusedError) Error() string {
	switch ev := e.Event.(type) {
	case whatsapp.TemporaryBan:
		if ev.Expire > 0 {
			return fmt.Sprintf("whatsapp: temporarily banned (code %d) for another %s", ev.Code, ev.Expire.Round(time.Second))
		}
		return fmt.Sprintf("whatsapp: temporarily banned (code %d)", ev.Code)
	case whatsapp.ClientOutdated:
		return "whatsapp: client outdated (405): update the software"
	case whatsapp.ConnectFailure:
		return fmt.Sprintf("whatsapp: login refused (%d %s)", ev.Code, ev.Message)
	}
	return fmt.Sprintf("whatsapp: login refused (%T)", e.Event)
}

// sentinels are the whatsapp errors FailNext can store by name, so they cross processes intact.
var sentinels = map[string]error{
	"ErrNotConnected":     whatsapp.ErrNotConnected,
	"ErrNotPaired":        whatsapp.ErrNotPaired,
	"ErrAlreadyPaired":    whatsapp.ErrAlreadyPaired,
	"ErrLoggedOut":        whatsapp.ErrLoggedOut,
	"ErrConnect":          whatsapp.ErrConnect,
	"ErrPairTimeout":      whatsapp.ErrPairTimeout,
	"ErrInvalidPhone":     whatsapp.ErrInvalidPhone,
	"ErrNotOnWhatsApp":    whatsapp.ErrNotOnWhatsApp,
	"ErrInvalidRecipient": whatsapp.ErrInvalidRecipient,
	"ErrMediaRejected":    whatsapp.ErrMediaRejected,
	"ErrNotInGroup":       whatsapp.ErrNotInGroup,
	"ErrMessageTooLarge":  whatsapp.ErrMessageTooLarge,
}
