package session

import (
	"errors"
	"fmt"
)

// Errors of the session service.
var (
	// ErrNotFound: no such session for this tenant (also for another tenant's id: invariant 2).
	ErrNotFound = errors.New("session not found")
	// ErrLimitReached: the tenant's plan allows no more sessions. Returned as *LimitError.
	ErrLimitReached = errors.New("the plan's session limit is reached")
	// ErrNotPaired: the request needs a linked device (reconnect, log out) and there is none.
	ErrNotPaired = errors.New("the session is not paired: pair it first")
	// ErrAlreadyPaired: pairing was asked of a session that has a linked device; log it out first.
	ErrAlreadyPaired = errors.New("the session is already paired: log it out before pairing again")
	// ErrNotSupported: the WhatsApp driver cannot do this (a simulated scan with the real driver).
	ErrNotSupported = errors.New("the WhatsApp driver in use cannot do this")
	// ErrNoQRCode: a simulated scan found no QR code on screen.
	ErrNoQRCode = errors.New("there is no QR code on screen to scan yet. Wait for it, then try again")
)

// LimitError says how many sessions the plan allows. errors.Is(err, ErrLimitReached) holds.
type LimitError struct{ Max int }

func (e *LimitError) Error() string {
	return fmt.Sprintf("your plan allows %d WhatsApp session(s): delete one or move to a larger plan", e.Max)
}

// Is makes errors.Is(err, ErrLimitReached) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimitReached }
