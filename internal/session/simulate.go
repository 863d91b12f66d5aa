package session

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/google/uuid"
)

// Scanner is a Connector that can play the phone scanning a session's QR code. The simulator
// implements it, so that demos and tests can pair without a phone; real drivers do not.
type Scanner interface {
	// Scan confirms the session's QR pairing as if a phone with that number had scanned it. It
	// fails when no QR code is on screen.
	Scan(ctx context.Context, sessionID uuid.UUID, phone string) error
}

// Simulated reports whether the connector is a simulated WhatsApp (it can SimulateScan): the pages
// say so and offer the "Simulate scan" button.
func (s *Service) Simulated() bool {
	_, ok := s.conn.(Scanner)
	return ok
}

// SimulateScan scans the QR code on screen for one of the tenant's sessions with a made-up phone.
// ErrNotSupported unless Simulated; ErrNotFound for an unknown id or another tenant's; ErrNoQRCode
// when there is nothing to scan.
func (s *Service) SimulateScan(ctx context.Context, tenantID, id uuid.UUID) error {
	sc, ok := s.conn.(Scanner)
	if !ok {
		return ErrNotSupported
	}
	// The connector knows no tenants: the session must be the tenant's before it is scanned.
	if _, err := s.Get(ctx, tenantID, id); err != nil {
		return err
	}
	if err := sc.Scan(ctx, id, simulatedPhone(id)); err != nil {
		return fmt.Errorf("%w: %w", ErrNoQRCode, err)
	}
	return nil
}

// simulatedPhone is a stable made-up German mobile number for a session's simulated scan.
func simulatedPhone(id uuid.UUID) string {
	f := fnv.New32a()
	_, _ = f.Write(id[:])
	return fmt.Sprintf("49151%08d", f.Sum32()%100_000_000)
}
