package delivery

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/whatsapp"
)

// TestFailure_KeepsWhatsAppsExplanation (issue 10): a refusal's explanation (463: reach-out limit)
// reaches the message's reason instead of only its number.
func TestFailure_KeepsWhatsAppsExplanation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err          error
		code, reason string
	}{
		{&whatsapp.ServerError{Code: 463, Text: "a reach-out limit"}, "whatsapp_463", "WhatsApp refused the message (error 463): a reach-out limit."},
		{fmt.Errorf("send: %w", &whatsapp.ServerError{Code: 420}), "whatsapp_420", "WhatsApp refused the message (error 420)."},
		{whatsapp.ErrNotOnWhatsApp, "not_on_whatsapp", "The number is not on WhatsApp."},
	} {
		code, reason := failure(tc.err)
		require.Equal(t, tc.code, code)
		require.Equal(t, tc.reason, reason)
	}
}
