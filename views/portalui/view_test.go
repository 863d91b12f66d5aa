package portalui_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/views/portalui"
)

func TestAgo(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 12, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "just now"},
		{-30 * time.Second, "just now"},
		{-time.Minute, "1 minute ago"},
		{-5 * time.Minute, "5 minutes ago"},
		{-time.Hour, "1 hour ago"},
		{-3 * time.Hour, "3 hours ago"},
		{-30 * time.Hour, "yesterday"},
		{-4 * 24 * time.Hour, "4 days ago"},
		{-40 * 24 * time.Hour, "31 Jan 2025"},
		{30 * time.Second, "in a moment"},
		{7*24*time.Hour - time.Minute, "in 7 days"},
		{30 * time.Hour, "tomorrow"},
	} {
		require.Equal(t, tc.want, portalui.Ago(now.Add(tc.d), now), tc.d.String())
	}
}

func TestBytesAndNumber(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 B", 512: "512 B", 1024: "1 KB", 16 << 20: "16 MB", 1536 << 20: "1.5 GB", 1 << 30: "1 GB"} {
		require.Equal(t, want, portalui.Bytes(n))
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "-4,200"} {
		require.Equal(t, want, portalui.Number(n))
	}
}

func TestInitials(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, email, want string }{
		{"Ada Lovelace", "ada@x", "AL"},
		{"grace", "g@x", "G"},
		{"Jean-Luc Picard Third", "j@x", "JL"},
		{"", "zoe@x", "Z"},
		{"  ", "", "?"},
		{"Ümit Öz", "", "ÜÖ"},
	} {
		require.Equal(t, tc.want, portalui.Initials(tc.name, tc.email), tc.name)
	}
}
