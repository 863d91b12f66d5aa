package messages

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestProgress(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 31, 9, 0, 0, 0, time.UTC)
	at := func(s int) *time.Time { v := t0.Add(time.Duration(s) * time.Second); return &v }
	states := func(steps []progressStep) string {
		var out []string
		for _, s := range steps {
			out = append(out, s.Status+":"+s.State)
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{"Queued", Message{Status: "queued", QueuedAt: at(0)},
			"queued:done sent:current delivered:todo read:todo"},
		{"Sending", Message{Status: "sending", QueuedAt: at(0)},
			"queued:done sent:current delivered:todo read:todo"},
		{"Delivered", Message{Status: "delivered", QueuedAt: at(0), SentAt: at(1), DeliveredAt: at(2)},
			"queued:done sent:done delivered:done read:current"},
		{"Read", Message{Status: "read", QueuedAt: at(0), SentAt: at(1), DeliveredAt: at(2), ReadAt: at(3)},
			"queued:done sent:done delivered:done read:done"},
		{"Scheduled", Message{Status: "scheduled", SendAt: at(3600)},
			"scheduled:done queued:current sent:todo delivered:todo read:todo"},
		{"ScheduledThenQueued", Message{Status: "queued", SendAt: at(3600), QueuedAt: at(3600)},
			"scheduled:done queued:done sent:current delivered:todo read:todo"},
		{"FailedInTheQueue", Message{Status: "failed", QueuedAt: at(0), FailedAt: at(5)},
			"queued:done failed:failed"},
		{"CanceledWhileScheduled", Message{Status: "canceled", SendAt: at(3600)},
			"scheduled:done canceled:stopped"},
		{"ExpiredInTheQueue", Message{Status: "expired"},
			"queued:done expired:stopped"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.m.Created = t0
			steps := progress(tc.m)
			require.Equal(t, tc.want, states(steps))
			for _, s := range steps {
				if s.State == "todo" || s.State == "current" {
					require.Nil(t, s.At, "%s has not happened", s.Status)
				}
			}
		})
	}

	t.Run("DueTime", func(t *testing.T) {
		t.Parallel()
		steps := progress(Message{Status: "scheduled", SendAt: at(3600), Created: t0})
		require.Equal(t, at(3600), steps[1].Due, "the queued step says when it is due")
	})
}

func TestMessage_Preview(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 40)
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{"Text", Message{Text: "Hello\n\n  there"}, "Hello there"},
		{"Long", Message{Text: long}, strings.TrimSpace(long[:79]) + "…"},
		{"Location", Message{Location: &Location{Name: "Alexanderplatz"}}, "Alexanderplatz"},
		{"LocationWithoutName", Message{Location: &Location{Latitude: 52.5, Longitude: 13.4}}, "52.500000, 13.400000"},
		{"Contact", Message{Contact: &Contact{Name: "Ada"}}, "Ada"},
		{"Document", Message{FileName: "invoice.pdf"}, "invoice.pdf"},
		{"Caption", Message{FileName: "shop.png", Text: "Our shop"}, "Our shop"},
		{"Revoked", Message{Text: "oops", RevokedAt: &time.Time{}}, "This message was deleted"},
		{"Nothing", Message{Kind: "image"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, tc.m.Preview())
		})
	}
}

func TestFrag_When(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	f := Frag{Now: time.Date(2025, 3, 31, 22, 30, 0, 0, time.UTC), Loc: berlin} // 1 Apr, 00:30 in Berlin
	require.Equal(t, "00:10", f.When(time.Date(2025, 3, 31, 22, 10, 0, 0, time.UTC)), "today in the workspace's zone")
	require.Equal(t, "31 Mar, 23:50", f.When(time.Date(2025, 3, 31, 21, 50, 0, 0, time.UTC)))
	require.Equal(t, "2 Dec 2024, 10:00", f.When(time.Date(2024, 12, 2, 9, 0, 0, 0, time.UTC)))
	require.Equal(t, "31 Mar 2025, 23:50:00 CEST", f.Full(time.Date(2025, 3, 31, 21, 50, 0, 0, time.UTC)))
}

func TestMessage_Party(t *testing.T) {
	t.Parallel()
	require.Equal(t, "+4915123456789", Message{Phone: "+4915123456789", Chat: "4915123456789@s.whatsapp.net"}.Party())
	g := Message{Chat: "120363025246125486@g.us", Sender: "4915123456789:12@s.whatsapp.net", PushName: "Ada"}
	require.Equal(t, "Group 120363025246125486", g.Party())
	require.Equal(t, "Ada · from +4915123456789", g.PartyDetail())
	require.Equal(t, "1234567@lid", Message{Chat: "1234567@lid"}.Party())
}
