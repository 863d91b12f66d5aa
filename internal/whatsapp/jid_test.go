package whatsapp

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseJID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    JID
		wantErr bool
	}{
		{in: "4915123456789@s.whatsapp.net", want: JID{User: "4915123456789", Server: ServerUser}},
		{in: "4915123456789:23@s.whatsapp.net", want: JID{User: "4915123456789", Device: 23, Server: ServerUser}},
		{in: "120363025246125486@g.us", want: JID{User: "120363025246125486", Server: ServerGroup}},
		{in: "1234567890-1600000000@g.us", want: JID{User: "1234567890-1600000000", Server: ServerGroup}},
		{in: "98765432101234@lid", want: JID{User: "98765432101234", Server: ServerLID}},
		{in: "4915123456789", wantErr: true}, // whatsmeow would accept this with the number as server
		{in: "+4915123456789@s.whatsapp.net", wantErr: true},
		{in: "49151@example.com", wantErr: true},
		{in: "@s.whatsapp.net", wantErr: true},
		{in: "49151:x@s.whatsapp.net", wantErr: true},
	} {
		got, err := ParseJID(tc.in)
		if tc.wantErr {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got)
		require.Equal(t, tc.in, got.String(), "round trip")
	}
	require.Equal(t, "4915123456789@s.whatsapp.net", JID{User: "4915123456789", Device: 3, Server: ServerUser}.NonAD().String())
	require.True(t, JID{}.IsEmpty())
}

func TestNewMessageID(t *testing.T) {
	t.Parallel()
	seen := map[MessageID]bool{}
	for i := 0; i < 1000; i++ {
		id := NewMessageID()
		require.Regexp(t, `^3EB0[0-9A-F]{18}$`, string(id))
		require.False(t, seen[id])
		seen[id] = true
	}
}

func TestIsPermanent(t *testing.T) {
	t.Parallel()
	require.True(t, IsPermanent(fmt.Errorf("send: %w", ErrNotOnWhatsApp)))
	require.True(t, IsPermanent(&ServerError{Code: 463}))
	require.False(t, IsPermanent(&ServerError{Code: 500}))
	require.False(t, IsPermanent(&ServerError{Code: 429}))
	require.False(t, IsPermanent(ErrNotConnected))
	require.False(t, IsPermanent(&RateLimitedError{}))
	require.False(t, IsPermanent(errors.New("network down")))
	require.True(t, Permanent(LoggedOut{}))
	require.False(t, Permanent(Disconnected{}))
}
