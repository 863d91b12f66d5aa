package media

import (
	"errors"
	"fmt"
	"strings"
)

// Errors of the media service. The web layer maps them to statuses (httpx); a *RefusedError carries
// the same sentinel with the plan's numbers or the file's type in its text.
var (
	// ErrNotFound: no such media in this tenant (also for another tenant's id: invariant 2), or a
	// download link that is not ours.
	ErrNotFound = errors.New("media not found")
	// ErrTooLarge: the file is larger than the tenant's plan allows for one file (413).
	ErrTooLarge = errors.New("the file is larger than your plan allows")
	// ErrUnsupportedType: the file's content is of a type WhatsApp messages cannot carry (415).
	ErrUnsupportedType = errors.New("this type of file cannot be sent")
	// ErrStorageQuota: storing the file would take the tenant past its plan's storage quota (413).
	ErrStorageQuota = errors.New("your plan's media storage is full: delete media or move to a larger plan")
	// ErrNotReady: the media exists but its bytes are not stored (inbound media still being fetched,
	// or whose fetch failed), so there is nothing to open or link to (409).
	ErrNotReady = errors.New("the media's file is not stored yet, or could not be fetched")
	// ErrLinkExpired: a local-disk download link past its expiry (410).
	ErrLinkExpired = errors.New("this download link has expired: ask for a new one")
	// ErrInvalidKey: a storage key that is not a plain relative path (a bug, never user input).
	ErrInvalidKey = errors.New("invalid storage key")
)

// RefusedError is a refusal (ErrTooLarge, ErrUnsupportedType, ErrStorageQuota) worded for the user
// with what explains it. errors.Is(err, Reason) holds.
type RefusedError struct {
	Reason error
	Detail string
}

func (e *RefusedError) Error() string { return e.Detail }

// Unwrap returns the sentinel.
func (e *RefusedError) Unwrap() error { return e.Reason }

// TooLarge is ErrTooLarge naming limit, the plan's size for one file.
func TooLarge(limit int64) error {
	return &RefusedError{Reason: ErrTooLarge, Detail: fmt.Sprintf("the file is larger than your plan allows for one file (%s)", FormatBytes(limit))}
}

func overQuota(size, used, quota int64) error {
	return &RefusedError{Reason: ErrStorageQuota, Detail: fmt.Sprintf(
		"storing this file (%s) would take your workspace past its plan's media storage of %s (%s in use): delete media or move to a larger plan",
		FormatBytes(size), FormatBytes(quota), FormatBytes(used))}
}

// FormatBytes writes n for people: "512 bytes", "1.5 KiB", "1.95 KiB", "16 MiB".
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	s := strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
	return s + " " + []string{"KiB", "MiB", "GiB", "TiB"}[i]
}
