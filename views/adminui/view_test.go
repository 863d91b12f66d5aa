package adminui_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/views/adminui"
)

func TestFormatting(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ got, want string }{
		{adminui.Count(0), "0"},
		{adminui.Count(999), "999"},
		{adminui.Count(int32(1000)), "1,000"},
		{adminui.Count(int64(-1234567)), "-1,234,567"},
		{adminui.Bytes(512), "512 B"},
		{adminui.Bytes(16 << 20), "16 MiB"},
		{adminui.Bytes(5 << 29), "2.5 GiB"},
		{adminui.Bytes(1536), "1.5 KiB"},
		{adminui.Initials("Grace Hopper"), "GH"},
		{adminui.Initials("ada.lovelace@example.com"), "AL"},
		{adminui.Initials("ops@wagate.test"), "O"},
		{adminui.Initials(""), "?"},
		{adminui.ActionLabel("tenant.suspended"), "Workspace suspended"},
		{adminui.ActionLabel("something.new"), "something.new"},
		{adminui.ActionTone("operator.login_failed"), "danger"},
		{adminui.ActionTone("tenant.approved"), "success"},
		{adminui.ActionTone("user.login"), "neutral"},
		{adminui.ActionTone("plan.updated"), "info"},
		{adminui.ActorLabel("system", ""), "System"},
		{adminui.ActorLabel("operator", "ops@wagate.test"), "ops@wagate.test"},
	} {
		require.Equal(t, c.want, c.got)
	}
}
