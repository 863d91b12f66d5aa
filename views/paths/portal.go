package paths

import (
	"net/url"

	"github.com/google/uuid"
)

// AccountTOTPDisable turns two-factor off (POST, with the password).
const AccountTOTPDisable = AccountTOTP + "/disable"

// AuditPage is the portal's audit log filtered by an action prefix ("" for all) and starting
// before the entry before (nil for the newest).
func AuditPage(action string, before *uuid.UUID) string {
	v := url.Values{}
	if action != "" {
		v.Set("action", action)
	}
	if before != nil {
		v.Set("before", before.String())
	}
	if len(v) == 0 {
		return Audit
	}
	return Audit + "?" + v.Encode()
}
