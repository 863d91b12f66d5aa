package delivery

import (
	"context"
	"fmt"

	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// RetryMessage finds a message a session sent, for a recipient whose phone could not decrypt it and
// asks again (whatsmeow's GetMessageForRetry): from Postgres, where whatsmeow alone remembers only
// its last 256 sends in memory (WHATSAPP.md §10). Unknown ids answer nil. It needs no driver, so the
// WhatsApp connector can be given it before any session host exists.
func (e *Executor) RetryMessage(ctx context.Context, ref whatsapp.SessionRef, _ whatsapp.JID, id whatsapp.MessageID) (*whatsapp.Outgoing, error) {
	row, err := store.New(e.db).MessageGetByWAID(ctx, store.MessageGetByWAIDParams{TenantID: ref.TenantID,
		SessionID: ref.ID, WaID: string(id)})
	if store.IsNotFound(err) || (err == nil && row.Direction != string(message.DirectionOut)) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("retry lookup: %w", err)
	}
	// The row's chat is the canonical JID it was sent to; no need to ask WhatsApp again.
	out, err := e.build(ctx, nil, row)
	if err != nil {
		return nil, err
	}
	return &out, nil
}
