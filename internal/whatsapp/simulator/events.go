package simulator

import (
	"encoding/json"
	"fmt"

	"github.com/wagate/wagate/internal/whatsapp"
)

// Inbox rows carry an event as JSON under a kind name. Only events WhatsApp delivers as traffic are
// queued; the ones that change the link (LoggedOut, TemporaryBan, …) act on the connection instead.
const (
	kindMessage   = "message"
	kindReceipt   = "receipt"
	kindReaction  = "reaction"
	kindEdited    = "edited"
	kindRevoked   = "revoked"
	kindHistory   = "history"
	kindPushName  = "push_name"
	kindKATimeout = "keepalive_timeout"
	kindKARestore = "keepalive_restored"
)

func encodeEvent(e whatsapp.Event) (string, []byte, error) {
	var kind string
	switch e.(type) {
	case whatsapp.MessageReceived:
		kind = kindMessage
	case whatsapp.Receipt:
		kind = kindReceipt
	case whatsapp.Reaction:
		kind = kindReaction
	case whatsapp.Edited:
		kind = kindEdited
	case whatsapp.Revoked:
		kind = kindRevoked
	case whatsapp.HistorySynced:
		kind = kindHistory
	case whatsapp.PushNameChanged:
		kind = kindPushName
	case whatsapp.KeepAliveTimeout:
		kind = kindKATimeout
	case whatsapp.KeepAliveRestored:
		kind = kindKARestore
	default:
		return "", nil, fmt.Errorf("%w: %T", ErrNotInjectable, e)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return "", nil, fmt.Errorf("encode %T: %w", e, err)
	}
	return kind, b, nil
}

func decodeEvent(kind string, payload []byte) (whatsapp.Event, error) {
	var (
		e   whatsapp.Event
		err error
	)
	switch kind {
	case kindMessage:
		e, err = decodeAs[whatsapp.MessageReceived](payload)
	case kindReceipt:
		e, err = decodeAs[whatsapp.Receipt](payload)
	case kindReaction:
		e, err = decodeAs[whatsapp.Reaction](payload)
	case kindEdited:
		e, err = decodeAs[whatsapp.Edited](payload)
	case kindRevoked:
		e, err = decodeAs[whatsapp.Revoked](payload)
	case kindHistory:
		e, err = decodeAs[whatsapp.HistorySynced](payload)
	case kindPushName:
		e, err = decodeAs[whatsapp.PushNameChanged](payload)
	case kindKATimeout:
		e, err = decodeAs[whatsapp.KeepAliveTimeout](payload)
	case kindKARestore:
		e, err = decodeAs[whatsapp.KeepAliveRestored](payload)
	default:
		return nil, fmt.Errorf("unknown inbox kind %q", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", kind, err)
	}
	return e, nil
}

func decodeAs[T whatsapp.Event](b []byte) (whatsapp.Event, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return v, nil
}
