package message_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/message"
)

func TestVCard(t *testing.T) {
	t.Parallel()
	require.Equal(t, "BEGIN:VCARD\nVERSION:3.0\nN:Acme\\, Support\\; EU\\\\1\\n;;;;\nFN:Acme\\, Support\\; EU\\\\1\\n\n"+
		"TEL;type=CELL;type=VOICE;waid=4915123456789:+4915123456789\nEND:VCARD",
		message.VCard("Acme, Support; EU\\1\n", "+4915123456789"))
}

func TestParseRecipient(t *testing.T) {
	t.Parallel()
	r, msg := message.ParseRecipient("030 1234567", "DE")
	require.Empty(t, msg)
	require.Equal(t, "+49301234567", r.Phone)
	require.Equal(t, "49301234567@s.whatsapp.net", r.JID.String())
	r, msg = message.ParseRecipient("120363025246125486@g.us", "DE")
	require.Empty(t, msg)
	require.Empty(t, r.Phone)
	require.Equal(t, "120363025246125486@g.us", r.JID.String())
	r, msg = message.ParseRecipient("4915123456789:12@s.whatsapp.net", "US")
	require.Empty(t, msg)
	require.Equal(t, "4915123456789@s.whatsapp.net", r.JID.String(), "never a device")
	for _, bad := range []string{"", "12", "status@broadcast", "abc@s.whatsapp.net", "+1 555"} {
		_, msg := message.ParseRecipient(bad, "US")
		require.NotEmpty(t, msg, bad)
	}
}
