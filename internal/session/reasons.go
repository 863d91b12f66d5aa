package session

import (
	"fmt"
	"time"

	"github.com/wagate/wagate/internal/whatsapp"
)

// Reasons are what the tenant reads next to a status: what happened and what to do.
const (
	reasonLoggedOutByUser = "Logged out at your request; the device keys were wiped. Pair again to use this session."
	reasonConnected       = "Connected."
	reasonConnecting      = "Connecting to WhatsApp…"
	reasonScanQR          = "Scan this QR code with WhatsApp on your phone: Settings → Linked devices → Link a device."
	reasonEnterCode       = "On your phone open WhatsApp → Linked devices → Link a device → Link with phone number instead, and enter this code."
	reasonPairTimeout     = "Nobody scanned the code within WhatsApp's pairing window. Start pairing again when your phone is at hand."
	reasonPairInterrupted = "The pairing was interrupted because the server showing the code stopped. Start pairing again."
	reasonPaired          = "Paired; logging in…"
	reasonReplaced        = "Another client logged in with this session's keys and replaced this connection. Press Reconnect to take it back; if it keeps happening, log out and pair again."
	reasonOutdated        = "WhatsApp refuses this version of the client (405, client outdated). The operator must update Wagate; then press Reconnect."
)

func reasonLoggedOut(e whatsapp.LoggedOut) string {
	why := e.Reason
	if why == "" {
		why = "the device was unlinked"
	}
	return fmt.Sprintf("WhatsApp logged this device out (%d: %s), for example because it was removed from Linked devices on the phone. Pair again to use this session.", e.Code, why)
}

func reasonNotPaired(err error) string {
	return fmt.Sprintf("WhatsApp no longer accepts this device (%v). Pair again to use this session.", err)
}

func reasonBanned(e whatsapp.TemporaryBan, now time.Time) string {
	why := e.Reason
	if why == "" {
		why = "temporarily banned"
	}
	until := "WhatsApp did not say for how long"
	if e.Expire > 0 {
		until = fmt.Sprintf("it ends in about %s (%s UTC)", e.Expire.Round(time.Minute), now.Add(e.Expire).UTC().Format("2006-01-02 15:04"))
	}
	return fmt.Sprintf("WhatsApp temporarily banned this number (code %d: %s); %s. Press Reconnect after that, and send less to people who have not saved your number.", e.Code, why, until)
}

func reasonConnectFailure(e whatsapp.ConnectFailure) string {
	return fmt.Sprintf("WhatsApp refused the login (code %d: %s). Press Reconnect to try again; if it persists, log out and pair again.", e.Code, e.Message)
}

func reasonRetry(what string, in time.Duration) string {
	if in < time.Second {
		return what + ". Retrying in under a second." // not "in 0s"
	}
	return fmt.Sprintf("%s. Retrying in %s.", what, in.Round(time.Second))
}

func reasonParked(n int, window time.Duration, last string, pairing bool) string {
	if pairing {
		// An unpaired session has no Reconnect: pairing is started again.
		return fmt.Sprintf("Stopped after %d failures within %s (the last: %s). Start pairing again when the problem is fixed.", n, window.Round(time.Second), last)
	}
	return fmt.Sprintf("Stopped after %d failures within %s (the last: %s). Press Reconnect when the problem is fixed.", n, window.Round(time.Second), last)
}
