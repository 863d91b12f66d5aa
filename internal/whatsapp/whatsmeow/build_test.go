package whatsmeow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/socket"
	"google.golang.org/protobuf/proto"

	"github.com/wagate/wagate/internal/whatsapp"
)

func media(mime string) *whatsapp.Media {
	return &whatsapp.Media{MIME: mime, Size: 3, Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("abc")), nil
	}}
}

var upload = &whatsmeow.UploadResponse{
	URL: "https://mmg.whatsapp.net/x", DirectPath: "/v/t62/x", MediaKey: mediaKey,
	FileEncSHA256: fileEncSH, FileSHA256: fileSHA, FileLength: 3,
}

func TestBuildMessage(t *testing.T) {
	t.Parallel()
	to := whatsapp.UserJID("4915111111111")
	quote := &whatsapp.Quote{ID: "3EB0QUOTED", Sender: whatsapp.JID{User: "4915199999999", Device: 4, Server: whatsapp.ServerUser}, Text: "original"}
	wantReply := &waE2E.ContextInfo{
		StanzaID: proto.String("3EB0QUOTED"), Participant: proto.String("4915199999999@s.whatsapp.net"),
		QuotedMessage: &waE2E.Message{Conversation: proto.String("original")},
	}
	for _, c := range []struct {
		name string
		in   whatsapp.Outgoing
		want *waE2E.Message
	}{
		{"Text", whatsapp.Outgoing{Kind: whatsapp.KindText, Text: "hello"}, &waE2E.Message{Conversation: proto.String("hello")}},
		{"TextReplyIsExtended", whatsapp.Outgoing{Kind: whatsapp.KindText, Text: "yes", ReplyTo: quote},
			&waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("yes"), ContextInfo: wantReply}}},
		{"Image", whatsapp.Outgoing{Kind: whatsapp.KindImage, Media: media("image/png"), Caption: "look", ReplyTo: quote},
			&waE2E.Message{ImageMessage: &waE2E.ImageMessage{Caption: proto.String("look"), Mimetype: proto.String("image/png"),
				URL: proto.String(upload.URL), DirectPath: proto.String(upload.DirectPath), MediaKey: mediaKey,
				FileEncSHA256: fileEncSH, FileSHA256: fileSHA, FileLength: proto.Uint64(3), ContextInfo: wantReply}}},
		{"Video", whatsapp.Outgoing{Kind: whatsapp.KindVideo, Media: media("video/mp4")},
			&waE2E.Message{VideoMessage: &waE2E.VideoMessage{Mimetype: proto.String("video/mp4"),
				URL: proto.String(upload.URL), DirectPath: proto.String(upload.DirectPath), MediaKey: mediaKey,
				FileEncSHA256: fileEncSH, FileSHA256: fileSHA, FileLength: proto.Uint64(3)}}},
		{"VoiceNoteOggOpus", whatsapp.Outgoing{Kind: whatsapp.KindAudio, Media: media("audio/ogg; codecs=opus"), VoiceNote: true},
			&waE2E.Message{AudioMessage: &waE2E.AudioMessage{PTT: proto.Bool(true), Mimetype: proto.String("audio/ogg; codecs=opus"),
				URL: proto.String(upload.URL), DirectPath: proto.String(upload.DirectPath), MediaKey: mediaKey,
				FileEncSHA256: fileEncSH, FileSHA256: fileSHA, FileLength: proto.Uint64(3)}}},
		{"VoiceNoteAskedForMP3GoesAsAudioFile", whatsapp.Outgoing{Kind: whatsapp.KindAudio, Media: media("audio/mpeg"), VoiceNote: true},
			&waE2E.Message{AudioMessage: &waE2E.AudioMessage{Mimetype: proto.String("audio/mpeg"),
				URL: proto.String(upload.URL), DirectPath: proto.String(upload.DirectPath), MediaKey: mediaKey,
				FileEncSHA256: fileEncSH, FileSHA256: fileSHA, FileLength: proto.Uint64(3)}}},
		{"OggOpusWithoutTheFlagIsAnAudioFile", whatsapp.Outgoing{Kind: whatsapp.KindAudio, Media: media("audio/ogg; codecs=opus")},
			&waE2E.Message{AudioMessage: &waE2E.AudioMessage{Mimetype: proto.String("audio/ogg; codecs=opus"),
				URL: proto.String(upload.URL), DirectPath: proto.String(upload.DirectPath), MediaKey: mediaKey,
				FileEncSHA256: fileEncSH, FileSHA256: fileSHA, FileLength: proto.Uint64(3)}}},
		{"Document", whatsapp.Outgoing{Kind: whatsapp.KindDocument, Media: media("application/pdf"), FileName: "invoice.pdf", Caption: "March"},
			&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{FileName: proto.String("invoice.pdf"), Title: proto.String("invoice.pdf"),
				Caption: proto.String("March"), Mimetype: proto.String("application/pdf"),
				URL: proto.String(upload.URL), DirectPath: proto.String(upload.DirectPath), MediaKey: mediaKey,
				FileEncSHA256: fileEncSH, FileSHA256: fileSHA, FileLength: proto.Uint64(3)}}},
		{"Sticker", whatsapp.Outgoing{Kind: whatsapp.KindSticker, Media: media("image/webp")},
			&waE2E.Message{StickerMessage: &waE2E.StickerMessage{Mimetype: proto.String("image/webp"),
				URL: proto.String(upload.URL), DirectPath: proto.String(upload.DirectPath), MediaKey: mediaKey,
				FileEncSHA256: fileEncSH, FileSHA256: fileSHA, FileLength: proto.Uint64(3)}}},
		{"Location", whatsapp.Outgoing{Kind: whatsapp.KindLocation, Location: &whatsapp.Location{Latitude: 52.52, Longitude: 13.405, Name: "TV tower", Address: "Berlin"}},
			&waE2E.Message{LocationMessage: &waE2E.LocationMessage{DegreesLatitude: proto.Float64(52.52), DegreesLongitude: proto.Float64(13.405),
				Name: proto.String("TV tower"), Address: proto.String("Berlin")}}},
		{"Contact", whatsapp.Outgoing{Kind: whatsapp.KindContact, Contact: &whatsapp.Contact{DisplayName: "Carol", VCard: "BEGIN:VCARD\nEND:VCARD"}, ReplyTo: quote},
			&waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Carol"), Vcard: proto.String("BEGIN:VCARD\nEND:VCARD"), ContextInfo: wantReply}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.in.ID, c.in.To = whatsapp.NewMessageID(), to
			var up *whatsmeow.UploadResponse
			if c.in.Media != nil {
				up = upload
			}
			got, err := buildMessage(c.in, up)
			require.NoError(t, err)
			require.True(t, proto.Equal(c.want, got), "want %v\n got %v", c.want, got)
		})
	}

	t.Run("Errors", func(t *testing.T) {
		t.Parallel()
		_, err := buildMessage(whatsapp.Outgoing{Kind: whatsapp.KindImage}, nil)
		require.ErrorIs(t, err, whatsapp.ErrMediaRejected)
		_, err = buildMessage(whatsapp.Outgoing{Kind: whatsapp.KindLocation}, nil)
		require.ErrorContains(t, err, "needs a location")
		_, err = buildMessage(whatsapp.Outgoing{Kind: whatsapp.KindContact}, nil)
		require.ErrorContains(t, err, "needs a contact card")
		_, err = buildMessage(whatsapp.Outgoing{Kind: "poll"}, nil)
		require.ErrorContains(t, err, `kind "poll"`)
	})

	t.Run("QuoteWithoutSenderHasNoParticipant", func(t *testing.T) {
		t.Parallel()
		got, err := buildMessage(whatsapp.Outgoing{Kind: whatsapp.KindText, Text: "x", ReplyTo: &whatsapp.Quote{ID: "3EB0Q"}}, nil)
		require.NoError(t, err)
		require.Nil(t, got.GetExtendedTextMessage().GetContextInfo().Participant)
		require.Equal(t, "3EB0Q", got.GetExtendedTextMessage().GetContextInfo().GetStanzaID())
	})
}

func TestIsVoiceNote(t *testing.T) {
	t.Parallel()
	for mime, want := range map[string]bool{
		"audio/ogg; codecs=opus":   true,
		"audio/ogg;codecs=opus":    true,
		`audio/ogg; codecs="opus"`: true,
		"AUDIO/OGG; codecs=Opus":   true,
		"audio/ogg":                false, // could be Vorbis
		"audio/ogg; codecs=vorbis": false,
		"audio/opus":               false,
		"audio/mpeg":               false,
		"audio/mp4":                false,
		"not a mime":               false,
	} {
		m := whatsapp.Outgoing{Kind: whatsapp.KindAudio, VoiceNote: true, Media: media(mime)}
		require.Equal(t, want, isVoiceNote(m), mime)
	}
	require.False(t, isVoiceNote(whatsapp.Outgoing{Kind: whatsapp.KindAudio, Media: media("audio/ogg; codecs=opus")}), "not asked for")
	require.False(t, isVoiceNote(whatsapp.Outgoing{Kind: whatsapp.KindDocument, VoiceNote: true, Media: media("audio/ogg; codecs=opus")}))
}

func TestUploadTypeFor(t *testing.T) {
	t.Parallel()
	require.Equal(t, whatsmeow.MediaImage, uploadTypeFor(whatsapp.KindImage))
	require.Equal(t, whatsmeow.MediaImage, uploadTypeFor(whatsapp.KindSticker))
	require.Equal(t, whatsmeow.MediaVideo, uploadTypeFor(whatsapp.KindVideo))
	require.Equal(t, whatsmeow.MediaAudio, uploadTypeFor(whatsapp.KindAudio))
	require.Equal(t, whatsmeow.MediaDocument, uploadTypeFor(whatsapp.KindDocument))
	for _, k := range []whatsapp.Kind{whatsapp.KindText, whatsapp.KindLocation, whatsapp.KindContact} {
		require.Empty(t, uploadTypeFor(k))
	}
}

func TestMapError(t *testing.T) {
	t.Parallel()
	iq := func(code int, text string) error { return &whatsmeow.IQError{Code: code, Text: text} }
	for _, c := range []struct {
		name string
		in   error
		is   error
		as   func(t *testing.T, err error)
	}{
		{name: "ServerError463", in: fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 463), as: func(t *testing.T, err error) {
			var se *whatsapp.ServerError
			require.ErrorAs(t, err, &se)
			require.Equal(t, 463, se.Code)
			require.True(t, whatsapp.IsPermanent(err))
		}},
		{name: "ServerError500", in: fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 500), as: func(t *testing.T, err error) {
			var se *whatsapp.ServerError
			require.ErrorAs(t, err, &se)
			require.Equal(t, 500, se.Code)
			require.False(t, whatsapp.IsPermanent(err))
		}},
		{name: "RateLimited", in: fmt.Errorf("failed to get user info: %w", iq(429, "rate-overlimit")), as: func(t *testing.T, err error) {
			var rl *whatsapp.RateLimitedError
			require.ErrorAs(t, err, &rl)
			require.Equal(t, time.Minute, rl.RetryAfter)
		}},
		{name: "NotConnected", in: whatsmeow.ErrNotConnected, is: whatsapp.ErrNotConnected},
		{name: "NotLoggedIn", in: whatsmeow.ErrNotLoggedIn, is: whatsapp.ErrNotConnected},
		{name: "DisconnectedMidSend", in: &whatsmeow.DisconnectedError{Action: "message send"}, is: whatsapp.ErrNotConnected},
		{name: "DeviceJID", in: whatsmeow.ErrRecipientADJID, is: whatsapp.ErrInvalidRecipient},
		{name: "BroadcastList", in: whatsmeow.ErrBroadcastListUnsupported, is: whatsapp.ErrInvalidRecipient},
		{name: "UnknownServer", in: fmt.Errorf("%w %s", whatsmeow.ErrUnknownServer, "example.com"), is: whatsapp.ErrInvalidRecipient},
		{name: "NotInGroup", in: fmt.Errorf("failed to get group members: %w", whatsmeow.ErrNotInGroup), is: whatsapp.ErrNotInGroup},
		{name: "GroupNotFound", in: whatsmeow.ErrGroupNotFound, is: whatsapp.ErrNotInGroup},
		{name: "FrameTooLarge", in: fmt.Errorf("%w (got 20000000 bytes)", socket.ErrFrameTooLarge), is: whatsapp.ErrMessageTooLarge},
		{name: "NoLID", in: errors.New("no LID found for 4915100000000@s.whatsapp.net from server"), is: whatsapp.ErrNotOnWhatsApp},
		{name: "UploadRefused", in: errors.New("upload failed with status code 413"), is: whatsapp.ErrMediaRejected},
		{name: "UploadServerTrouble", in: errors.New("upload failed with status code 503"), as: func(t *testing.T, err error) {
			require.False(t, errors.Is(err, whatsapp.ErrMediaRejected))
			require.False(t, whatsapp.IsPermanent(err))
		}},
		{name: "TimeoutPassesThrough", in: whatsmeow.ErrMessageTimedOut, is: whatsmeow.ErrMessageTimedOut},
		{name: "ContextPassesThrough", in: context.DeadlineExceeded, is: context.DeadlineExceeded},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := mapError(c.in)
			if c.is != nil {
				require.ErrorIs(t, got, c.is)
				require.ErrorIs(t, got, c.in, "the original stays in the chain")
			}
			if c.as != nil {
				c.as(t, got)
			}
		})
	}
	require.NoError(t, mapError(nil))
}

func TestMediaHandle(t *testing.T) {
	t.Parallel()
	h := encodeMediaHandle(mediaHandle{Kind: mediaKindDocument, DirectPath: "/v/t62/doc", MediaKey: mediaKey,
		FileEncSHA256: fileEncSH, FileSHA256: fileSHA, FileLength: 99})
	got, mt, err := decodeMediaHandle(h)
	require.NoError(t, err)
	require.Equal(t, whatsmeow.MediaDocument, mt)
	require.Equal(t, mediaHandle{V: 1, Kind: mediaKindDocument, DirectPath: "/v/t62/doc", MediaKey: mediaKey,
		FileEncSHA256: fileEncSH, FileSHA256: fileSHA, FileLength: 99}, got)

	for name, bad := range map[string]whatsapp.MediaHandle{
		"NotJSON":     whatsapp.MediaHandle("s3://bucket/key"),
		"OtherDriver": whatsapp.MediaHandle(`{"sim":"abc"}`),
		"NoPath":      encodeMediaHandle(mediaHandle{Kind: mediaKindImage, MediaKey: mediaKey}),
		"BadKind":     encodeMediaHandle(mediaHandle{Kind: "gif", DirectPath: "/x", MediaKey: mediaKey}),
		"ShortKey":    encodeMediaHandle(mediaHandle{Kind: mediaKindImage, DirectPath: "/x", MediaKey: []byte("k")}),
	} {
		_, _, err := decodeMediaHandle(bad)
		require.ErrorIs(t, err, errBadHandle, name)
	}
}
