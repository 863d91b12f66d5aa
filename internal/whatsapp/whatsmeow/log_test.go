package whatsmeow

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
	"go.mau.fi/whatsmeow/store"
)

func TestWALogger(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	level := new(slog.LevelVar)
	level.Set(slog.LevelWarn)
	log := newWALogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), level, "Client")

	log.Debugf("dialing %s", "web.whatsapp.com")
	log.Infof("connected as %s", "4915111111111")
	require.Empty(t, buf.String(), "below WARN by default: whatsmeow's chatter names numbers")

	log.Sub("Socket").Warnf("frame too large: %d", 42)
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	require.Equal(t, "whatsmeow", line["msg"], "constant message; the text is an attribute")
	require.Equal(t, "WARN", line["level"])
	require.Equal(t, "Client/Socket", line["module"])
	require.Equal(t, "frame too large: 42", line["detail"])

	buf.Reset()
	level.Set(slog.LevelDebug) // Driver.SetLogLevel for one session
	log.Debugf("now %s", "visible")
	require.Contains(t, buf.String(), `"detail":"now visible"`)
}

// TestWAVersion: a configured WhatsApp Web version reaches what whatsmeow sends at login too, not
// only what SetWAVersion changes (the pinned version's bug, WHATSAPP.md §10). Serial: it changes
// whatsmeow's process-wide state, restored afterwards.
func TestWAVersion(t *testing.T) {
	oldVersion := store.GetWAVersion()
	oldApp := store.BaseClientPayload.UserAgent.AppVersion
	oldOS := store.DeviceProps.GetOs()
	t.Cleanup(func() {
		store.SetWAVersion(oldVersion)
		store.BaseClientPayload.UserAgent.AppVersion = oldApp
		store.DeviceProps.Os = &oldOS
	})

	require.NoError(t, configureProcess(Options{DeviceName: "Wagate"}))
	require.Equal(t, oldVersion, store.GetWAVersion(), "no version configured: the pinned one stays")
	require.Equal(t, "Wagate", store.DeviceProps.GetOs())

	require.NoError(t, configureProcess(Options{DeviceName: "Wagate", WAVersion: "2.3000.1099999999"}))
	want := store.WAVersionContainer{2, 3000, 1099999999}
	require.Equal(t, want, store.GetWAVersion())
	app := store.BaseClientPayload.UserAgent.AppVersion
	require.Equal(t, uint32(2), app.GetPrimary())
	require.Equal(t, uint32(3000), app.GetSecondary())
	require.Equal(t, uint32(1099999999), app.GetTertiary())

	require.ErrorContains(t, configureProcess(Options{WAVersion: "two.three"}), `WhatsApp Web version "two.three"`)
}
