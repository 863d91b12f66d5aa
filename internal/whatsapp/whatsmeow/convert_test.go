package whatsmeow

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waSyncAction"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/wagate/wagate/internal/whatsapp"
)

var (
	ts        = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	alicePN   = types.NewJID("4915111111111", types.DefaultUserServer)
	aliceDev  = types.NewADJID("4915111111111", 0, 3)
	aliceLID  = types.NewJID("11111111111111", types.HiddenUserServer)
	bobPN     = types.NewJID("4915122222222", types.DefaultUserServer)
	bobLID    = types.NewJID("22222222222222", types.HiddenUserServer)
	group     = types.NewJID("120363025246125486", types.GroupServer)
	ownPN     = types.NewJID("4915199999999", types.DefaultUserServer)
	neutral   = jidFromWA
	mediaKey  = []byte("0123456789abcdef0123456789abcdef")
	fileSHA   = []byte("plain-sha256-plain-sha256-plain-")
	fileEncSH = []byte("enc-sha256-enc-sha256-enc-sha256")
)

// dm is a direct message from alice (by phone number) to the account.
func dm(msg *waE2E.Message) *events.Message {
	return &events.Message{
		Info: types.MessageInfo{
			MessageSource: types.MessageSource{Chat: alicePN, Sender: aliceDev},
			ID:            "3EB0AAAAAAAAAAAAAAAAAA", PushName: "Alice", Timestamp: ts,
		},
		Message: msg, RawMessage: msg,
	}
}

func incoming(kind whatsapp.Kind) whatsapp.Incoming {
	return whatsapp.Incoming{
		ID: "3EB0AAAAAAAAAAAAAAAAAA", Chat: neutral(alicePN), Sender: neutral(alicePN),
		PushName: "Alice", Timestamp: ts, Kind: kind,
	}
}

func TestMessageEvent(t *testing.T) {
	t.Parallel()
	reply := &waE2E.ContextInfo{StanzaID: proto.String("3EB0QUOTED"), Participant: proto.String(ownPN.String())}

	type tc struct {
		name string
		evt  *events.Message
		want whatsapp.Event // nil: skipped
		// check, when set, replaces the equality check (media handles are opaque bytes).
		check func(t *testing.T, e whatsapp.Event)
	}
	cases := []tc{
		{name: "Text", evt: dm(&waE2E.Message{Conversation: proto.String("hi")}),
			want: whatsapp.MessageReceived{Message: with(incoming(whatsapp.KindText), func(in *whatsapp.Incoming) { in.Text = "hi" })}},
		{name: "ExtendedTextReply", evt: dm(&waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("yes"), ContextInfo: reply}}),
			want: whatsapp.MessageReceived{Message: with(incoming(whatsapp.KindText), func(in *whatsapp.Incoming) { in.Text, in.ReplyTo = "yes", "3EB0QUOTED" })}},
		{name: "Location", evt: dm(&waE2E.Message{LocationMessage: &waE2E.LocationMessage{
			DegreesLatitude: proto.Float64(52.52), DegreesLongitude: proto.Float64(13.405), Name: proto.String("Berlin"), Address: proto.String("Mitte")}}),
			want: whatsapp.MessageReceived{Message: with(incoming(whatsapp.KindLocation), func(in *whatsapp.Incoming) {
				in.Location = &whatsapp.Location{Latitude: 52.52, Longitude: 13.405, Name: "Berlin", Address: "Mitte"}
			})}},
		{name: "LiveLocation", evt: dm(&waE2E.Message{LiveLocationMessage: &waE2E.LiveLocationMessage{
			DegreesLatitude: proto.Float64(1.5), DegreesLongitude: proto.Float64(2.5), Caption: proto.String("on my way")}}),
			want: whatsapp.MessageReceived{Message: with(incoming(whatsapp.KindLocation), func(in *whatsapp.Incoming) {
				in.Text, in.Location = "on my way", &whatsapp.Location{Latitude: 1.5, Longitude: 2.5}
			})}},
		{name: "Contact", evt: dm(&waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Carol"), Vcard: proto.String("BEGIN:VCARD")}}),
			want: whatsapp.MessageReceived{Message: with(incoming(whatsapp.KindContact), func(in *whatsapp.Incoming) {
				in.Contact = &whatsapp.Contact{DisplayName: "Carol", VCard: "BEGIN:VCARD"}
			})}},
		{name: "ContactsArrayKeepsTheFirst", evt: dm(&waE2E.Message{ContactsArrayMessage: &waE2E.ContactsArrayMessage{Contacts: []*waE2E.ContactMessage{
			{DisplayName: proto.String("Carol"), Vcard: proto.String("VCARD-C")}, {DisplayName: proto.String("Dan"), Vcard: proto.String("VCARD-D")}}}}),
			want: whatsapp.MessageReceived{Message: with(incoming(whatsapp.KindContact), func(in *whatsapp.Incoming) {
				in.Contact = &whatsapp.Contact{DisplayName: "Carol", VCard: "VCARD-C"}
			})}},
		{name: "Reaction", evt: dm(&waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{
			Key: &waCommon.MessageKey{ID: proto.String("3EB0TARGET")}, Text: proto.String("👍")}}),
			want: whatsapp.Reaction{Chat: neutral(alicePN), Sender: neutral(alicePN), Target: "3EB0TARGET", Emoji: "👍", Timestamp: ts}},
		{name: "ReactionRemoved", evt: dm(&waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{
			Key: &waCommon.MessageKey{ID: proto.String("3EB0TARGET")}, Text: proto.String("")}}),
			want: whatsapp.Reaction{Chat: neutral(alicePN), Sender: neutral(alicePN), Target: "3EB0TARGET", Emoji: "", Timestamp: ts}},
		{name: "Revoke", evt: dm(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Type: waE2E.ProtocolMessage_REVOKE.Enum(), Key: &waCommon.MessageKey{ID: proto.String("3EB0GONE")}}}),
			want: whatsapp.Revoked{Chat: neutral(alicePN), Sender: neutral(alicePN), Target: "3EB0GONE", Timestamp: ts}},
		{name: "Edit", evt: dm(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(), Key: &waCommon.MessageKey{ID: proto.String("3EB0OLD")},
			EditedMessage: &waE2E.Message{Conversation: proto.String("fixed typo")}}}),
			want: whatsapp.Edited{Chat: neutral(alicePN), Sender: neutral(alicePN), Target: "3EB0OLD", Text: "fixed typo", Timestamp: ts}},
		{name: "EditOfACaption", evt: dm(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(), Key: &waCommon.MessageKey{ID: proto.String("3EB0IMG")},
			EditedMessage: &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Caption: proto.String("new caption")}}}}),
			want: whatsapp.Edited{Chat: neutral(alicePN), Sender: neutral(alicePN), Target: "3EB0IMG", Text: "new caption", Timestamp: ts}},
		{name: "EditArrivingWrapped", evt: unwrapped(dm(nil), &waE2E.Message{EditedMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{
			ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(), Key: &waCommon.MessageKey{ID: proto.String("3EB0OLD")},
				EditedMessage: &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("v2")}}}}}}),
			want: whatsapp.Edited{Chat: neutral(alicePN), Sender: neutral(alicePN), Target: "3EB0OLD", Text: "v2", Timestamp: ts}},
		{name: "ProtocolMessageWithoutTypeIsNoRevoke", evt: dm(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			HistorySyncNotification: &waE2E.HistorySyncNotification{}}})},
		{name: "OtherProtocolMessageSkipped", evt: dm(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Type: waE2E.ProtocolMessage_APP_STATE_SYNC_KEY_SHARE.Enum()}})},
		{name: "KeyDistributionOnlySkipped", evt: dm(&waE2E.Message{
			SenderKeyDistributionMessage: &waE2E.SenderKeyDistributionMessage{GroupID: proto.String(group.String())},
			MessageContextInfo:           &waE2E.MessageContextInfo{}})},
		{name: "PollIsRecordedAsUnknown", evt: dm(&waE2E.Message{PollCreationMessage: &waE2E.PollCreationMessage{Name: proto.String("lunch?")}}),
			want: whatsapp.MessageReceived{Message: incoming(whatsapp.KindUnknown)}},
		{name: "StatusBroadcastSkipped", evt: func() *events.Message {
			e := dm(&waE2E.Message{Conversation: proto.String("my status")})
			e.Info.Chat, e.Info.IsGroup = types.StatusBroadcastJID, true
			return e
		}()},
		{name: "NewsletterSkipped", evt: func() *events.Message {
			e := dm(&waE2E.Message{Conversation: proto.String("news")})
			e.Info.Chat = types.NewJID("120363000000000000", types.NewsletterServer)
			return e
		}()},
		{name: "NilMessageSkipped", evt: dm(nil)},
		{name: "LIDSenderWithPhoneNumberAlt", evt: func() *events.Message {
			e := dm(&waE2E.Message{Conversation: proto.String("hi")})
			e.Info.Chat, e.Info.SenderAlt = aliceLID, aliceDev
			e.Info.Sender = types.JID{User: aliceLID.User, Device: 2, Server: types.HiddenUserServer}
			return e
		}(), want: whatsapp.MessageReceived{Message: with(incoming(whatsapp.KindText), func(in *whatsapp.Incoming) {
			in.Text, in.Chat, in.Sender, in.SenderAlt = "hi", neutral(alicePN), neutral(aliceLID), neutral(alicePN)
		})}},
		{name: "LIDSenderWithoutAltKeepsTheLID", evt: func() *events.Message {
			e := dm(&waE2E.Message{Conversation: proto.String("hi")})
			e.Info.Chat, e.Info.Sender = aliceLID, aliceLID
			return e
		}(), want: whatsapp.MessageReceived{Message: with(incoming(whatsapp.KindText), func(in *whatsapp.Incoming) {
			in.Text, in.Chat, in.Sender = "hi", neutral(aliceLID), neutral(aliceLID)
		})}},
		{name: "FromMyPhoneToALID", evt: func() *events.Message {
			e := dm(&waE2E.Message{Conversation: proto.String("sent from the phone")})
			e.Info.IsFromMe, e.Info.Chat, e.Info.Sender, e.Info.RecipientAlt = true, bobLID, types.NewADJID(ownPN.User, 0, 0), bobPN
			e.Info.PushName = ""
			return e
		}(), want: whatsapp.MessageReceived{Message: with(incoming(whatsapp.KindText), func(in *whatsapp.Incoming) {
			in.Text, in.IsFromMe, in.Chat, in.Sender, in.PushName = "sent from the phone", true, neutral(bobPN), neutral(ownPN), ""
		})}},
		{name: "GroupMessageWithLIDParticipant", evt: func() *events.Message {
			e := dm(&waE2E.Message{Conversation: proto.String("hello all")})
			e.Info.Chat, e.Info.IsGroup, e.Info.AddressingMode = group, true, types.AddressingModeLID
			e.Info.Sender, e.Info.SenderAlt = aliceLID, alicePN
			return e
		}(), want: whatsapp.MessageReceived{Message: with(incoming(whatsapp.KindText), func(in *whatsapp.Incoming) {
			in.Text, in.Chat, in.IsGroup, in.Sender, in.SenderAlt = "hello all", neutral(group), true, neutral(aliceLID), neutral(alicePN)
		})}},
		{name: "GroupReactionAndRevokeCarryTheParticipant", evt: func() *events.Message {
			e := dm(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_REVOKE.Enum(), Key: &waCommon.MessageKey{ID: proto.String("X")}}})
			e.Info.Chat, e.Info.IsGroup = group, true
			return e
		}(), want: whatsapp.Revoked{Chat: neutral(group), Sender: neutral(alicePN), Target: "X", Timestamp: ts}},
		{name: "BroadcastListMessageLandsInTheSendersChat", evt: func() *events.Message {
			e := dm(&waE2E.Message{Conversation: proto.String("to my list")})
			e.Info.Chat, e.Info.IsGroup = types.NewJID("1600000000", types.BroadcastServer), true
			return e
		}(), want: whatsapp.MessageReceived{Message: with(incoming(whatsapp.KindText), func(in *whatsapp.Incoming) { in.Text = "to my list" })}},
	}
	for _, media := range []struct {
		name string
		msg  *waE2E.Message
		kind whatsapp.Kind
		text string
		mime string
		file string
	}{
		{"Image", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Caption: proto.String("look"), Mimetype: proto.String("image/jpeg"),
			DirectPath: proto.String("/v/t62/img"), MediaKey: mediaKey, FileSHA256: fileSHA, FileEncSHA256: fileEncSH, FileLength: proto.Uint64(1234),
			ContextInfo: reply}}, whatsapp.KindImage, "look", "image/jpeg", ""},
		{"Video", &waE2E.Message{VideoMessage: &waE2E.VideoMessage{Caption: proto.String("clip"), Mimetype: proto.String("video/mp4"),
			DirectPath: proto.String("/v/t62/vid"), MediaKey: mediaKey, FileSHA256: fileSHA, FileEncSHA256: fileEncSH, FileLength: proto.Uint64(1234),
			ContextInfo: reply}}, whatsapp.KindVideo, "clip", "video/mp4", ""},
		{"VoiceNote", &waE2E.Message{AudioMessage: &waE2E.AudioMessage{PTT: proto.Bool(true), Mimetype: proto.String("audio/ogg; codecs=opus"),
			DirectPath: proto.String("/v/t62/ptt"), MediaKey: mediaKey, FileSHA256: fileSHA, FileEncSHA256: fileEncSH, FileLength: proto.Uint64(1234),
			ContextInfo: reply}}, whatsapp.KindAudio, "", "audio/ogg; codecs=opus", ""},
		{"Document", &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Caption: proto.String("the invoice"), Mimetype: proto.String("application/pdf"),
			FileName: proto.String("invoice.pdf"), Title: proto.String("Invoice"),
			DirectPath: proto.String("/v/t62/doc"), MediaKey: mediaKey, FileSHA256: fileSHA, FileEncSHA256: fileEncSH, FileLength: proto.Uint64(1234),
			ContextInfo: reply}}, whatsapp.KindDocument, "the invoice", "application/pdf", "invoice.pdf"},
		{"DocumentWithCaptionWrapped", nil, whatsapp.KindDocument, "wrapped", "application/pdf", "report.pdf"},
		{"Sticker", &waE2E.Message{StickerMessage: &waE2E.StickerMessage{Mimetype: proto.String("image/webp"),
			DirectPath: proto.String("/v/t62/stk"), MediaKey: mediaKey, FileSHA256: fileSHA, FileEncSHA256: fileEncSH, FileLength: proto.Uint64(1234),
			ContextInfo: reply}}, whatsapp.KindSticker, "", "image/webp", ""},
	} {
		evt := dm(media.msg)
		wantKind := map[whatsapp.Kind]string{whatsapp.KindImage: mediaKindImage, whatsapp.KindVideo: mediaKindVideo,
			whatsapp.KindAudio: mediaKindAudio, whatsapp.KindDocument: mediaKindDocument, whatsapp.KindSticker: mediaKindSticker}[media.kind]
		if media.msg == nil {
			// A document with a caption arrives wrapped; whatsmeow unwraps it before the handler.
			evt = unwrapped(dm(nil), &waE2E.Message{DocumentWithCaptionMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{
				DocumentMessage: &waE2E.DocumentMessage{Caption: proto.String("wrapped"), Mimetype: proto.String("application/pdf"), FileName: proto.String("report.pdf"),
					DirectPath: proto.String("/v/t62/doc"), MediaKey: mediaKey, FileSHA256: fileSHA, FileEncSHA256: fileEncSH, FileLength: proto.Uint64(1234),
					ContextInfo: reply}}}})
		}
		cases = append(cases, tc{name: media.name, evt: evt, check: func(t *testing.T, e whatsapp.Event) {
			in := e.(whatsapp.MessageReceived).Message
			require.Equal(t, media.kind, in.Kind)
			require.Equal(t, media.text, in.Text)
			require.Equal(t, whatsapp.MessageID("3EB0QUOTED"), in.ReplyTo)
			require.NotNil(t, in.Media)
			require.Equal(t, media.mime, in.Media.MIME)
			require.Equal(t, media.file, in.Media.FileName)
			require.Equal(t, int64(1234), in.Media.Size)
			require.Equal(t, fileSHA, in.Media.SHA256)
			h, mt, err := decodeMediaHandle(in.Media.Handle)
			require.NoError(t, err)
			require.Equal(t, wantKind, h.Kind)
			require.Equal(t, mediaKindTypes[wantKind], mt)
			require.Equal(t, mediaKey, h.MediaKey)
			require.Equal(t, fileSHA, h.FileSHA256)
			require.Equal(t, fileEncSH, h.FileEncSHA256)
			require.Equal(t, uint64(1234), h.FileLength)
			require.Regexp(t, `^/v/t62/`, h.DirectPath)
		}})
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, ok := convertEvent(c.evt)
			if c.want == nil && c.check == nil {
				require.False(t, ok, "want skipped, got %#v", got)
				return
			}
			require.True(t, ok)
			if c.check != nil {
				c.check(t, got)
				return
			}
			require.Equal(t, c.want, got)
		})
	}
}

func with(in whatsapp.Incoming, f func(*whatsapp.Incoming)) whatsapp.Incoming {
	f(&in)
	return in
}

// unwrapped sets raw as the event's message and unwraps it as whatsmeow does before dispatching.
func unwrapped(evt *events.Message, raw *waE2E.Message) *events.Message {
	evt.RawMessage = raw
	return evt.UnwrapRaw()
}

func TestReceiptEvent(t *testing.T) {
	t.Parallel()
	receipt := func(typ types.ReceiptType, f ...func(*events.Receipt)) *events.Receipt {
		r := &events.Receipt{
			MessageSource: types.MessageSource{Chat: alicePN, Sender: aliceDev},
			MessageIDs:    []types.MessageID{"3EB0ONE", "3EB0TWO"}, Timestamp: ts, Type: typ,
		}
		for _, fn := range f {
			fn(r)
		}
		return r
	}
	want := func(typ whatsapp.ReceiptType) whatsapp.Receipt {
		return whatsapp.Receipt{MessageIDs: []whatsapp.MessageID{"3EB0ONE", "3EB0TWO"}, Chat: neutral(alicePN), Sender: neutral(alicePN), Type: typ, Timestamp: ts}
	}
	for _, c := range []struct {
		name string
		in   *events.Receipt
		want whatsapp.Event
	}{
		{"Delivered", receipt(types.ReceiptTypeDelivered), want(whatsapp.ReceiptDelivered)},
		{"InactiveIsDelivered", receipt(types.ReceiptTypeInactive), want(whatsapp.ReceiptDelivered)},
		{"Read", receipt(types.ReceiptTypeRead), want(whatsapp.ReceiptRead)},
		{"Played", receipt(types.ReceiptTypePlayed), want(whatsapp.ReceiptPlayed)},
		{"ReadSelfIgnored", receipt(types.ReceiptTypeReadSelf), nil},
		{"PlayedSelfIgnored", receipt(types.ReceiptTypePlayedSelf), nil},
		{"SenderIgnored", receipt(types.ReceiptTypeSender), nil},
		{"RetryIgnored", receipt(types.ReceiptTypeRetry), nil},
		{"ServerErrorIgnored", receipt(types.ReceiptTypeServerError), nil},
		{"HistorySyncIgnored", receipt(types.ReceiptTypeHistorySync), nil},
		{"FromMyOwnDeviceIgnored", receipt(types.ReceiptTypeRead, func(r *events.Receipt) { r.IsFromMe = true }), nil},
		{"StatusBroadcastIgnored", receipt(types.ReceiptTypeRead, func(r *events.Receipt) { r.Chat = types.StatusBroadcastJID }), nil},
		{"GroupReceiptNamesTheReader", receipt(types.ReceiptTypeRead, func(r *events.Receipt) {
			r.Chat, r.IsGroup, r.Sender = group, true, types.NewADJID(bobLID.User, 0, 4)
			r.Sender.Server = types.HiddenUserServer
		}), whatsapp.Receipt{MessageIDs: []whatsapp.MessageID{"3EB0ONE", "3EB0TWO"}, Chat: neutral(group), Sender: neutral(bobLID),
			Type: whatsapp.ReceiptRead, Timestamp: ts}},
		{"LIDChatKeptAsIs", receipt(types.ReceiptTypeDelivered, func(r *events.Receipt) { r.Chat, r.Sender = bobLID, bobLID }),
			whatsapp.Receipt{MessageIDs: []whatsapp.MessageID{"3EB0ONE", "3EB0TWO"}, Chat: neutral(bobLID), Sender: neutral(bobLID),
				Type: whatsapp.ReceiptDelivered, Timestamp: ts}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, ok := convertEvent(c.in)
			if c.want == nil {
				require.False(t, ok, "want ignored, got %#v", got)
				return
			}
			require.True(t, ok)
			require.Equal(t, c.want, got)
		})
	}
}

func TestLifecycleEvents(t *testing.T) {
	t.Parallel()
	lid := types.NewADJID("33333333333333", 0, 9)
	lid.Server = types.HiddenUserServer
	for _, c := range []struct {
		name string
		in   any
		want whatsapp.Event
	}{
		{"Connected", &events.Connected{}, whatsapp.Connected{}},
		{"Disconnected", &events.Disconnected{}, whatsapp.Disconnected{Reason: "the connection to WhatsApp closed"}},
		{"LoggedOutOnConnect", &events.LoggedOut{OnConnect: true, Reason: events.ConnectFailureMainDeviceGone},
			whatsapp.LoggedOut{OnConnect: true, Code: 403, Reason: "403: primary device was logged out"}},
		{"LoggedOutWhileConnected", &events.LoggedOut{Reason: events.ConnectFailureLoggedOut},
			whatsapp.LoggedOut{Code: 401, Reason: "the device was removed from the phone"}},
		{"StreamReplaced", &events.StreamReplaced{}, whatsapp.StreamReplaced{}},
		{"TemporaryBan", &events.TemporaryBan{Code: events.TempBanSentToTooManyPeople, Expire: time.Hour},
			whatsapp.TemporaryBan{Code: 101, Reason: "101: you sent too many messages to people who don't have you in their address books", Expire: time.Hour}},
		{"ClientOutdated", &events.ClientOutdated{}, whatsapp.ClientOutdated{}},
		{"ConnectFailureWithMessage", &events.ConnectFailure{Reason: events.ConnectFailureBadUserAgent, Message: "bad ua"},
			whatsapp.ConnectFailure{Code: 409, Message: "bad ua"}},
		{"ConnectFailureWithoutMessage", &events.ConnectFailure{Reason: events.ConnectFailureBadUserAgent},
			whatsapp.ConnectFailure{Code: 409, Message: "409: client user agent was rejected"}},
		{"KeepAliveTimeout", &events.KeepAliveTimeout{ErrorCount: 2, LastSuccess: ts}, whatsapp.KeepAliveTimeout{ErrorCount: 2, LastSuccess: ts}},
		{"KeepAliveRestored", &events.KeepAliveRestored{}, whatsapp.KeepAliveRestored{}},
		{"PairSuccess", &events.PairSuccess{ID: types.NewADJID(ownPN.User, 0, 12), LID: lid, BusinessName: "Shop", Platform: "android"},
			whatsapp.PairSucceeded{Device: whatsapp.JID{User: ownPN.User, Device: 12, Server: whatsapp.ServerUser},
				LID: whatsapp.JID{User: "33333333333333", Device: 9, Server: whatsapp.ServerLID}, BusinessName: "Shop", Platform: "android"}},
		{"PushName", &events.PushNameSetting{Action: &waSyncAction.PushNameSetting{Name: proto.String("Shop Ltd")}}, whatsapp.PushNameChanged{Name: "Shop Ltd"}},
		{"EmptyPushNameIgnored", &events.PushNameSetting{Action: &waSyncAction.PushNameSetting{}}, nil},
		{"HistorySyncCounted", &events.HistorySync{Data: &waHistorySync.HistorySync{Conversations: []*waHistorySync.Conversation{{}, {}, {}}}},
			whatsapp.HistorySynced{Conversations: 3}},
		{"PresenceIgnored", &events.Presence{From: alicePN}, nil},
		{"StreamErrorIgnored", &events.StreamError{Code: "500"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, ok := convertEvent(c.in)
			if c.want == nil {
				require.False(t, ok)
				return
			}
			require.True(t, ok)
			require.Equal(t, c.want, got)
			require.Equal(t, isPermanent(c.in), whatsapp.Permanent(got), "whatsapp.Permanent agrees with whatsmeow's PermanentDisconnect")
		})
	}
}

func isPermanent(evt any) bool {
	_, ok := evt.(events.PermanentDisconnect)
	return ok
}

func TestPairEventFromQR(t *testing.T) {
	t.Parallel()
	e, final, ok := pairEventFromQR(whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: "2@abc,def,ghi,jkl", Timeout: time.Minute})
	require.True(t, ok)
	require.False(t, final)
	require.Equal(t, whatsapp.PairEvent{Kind: whatsapp.PairQR, QR: "2@abc,def,ghi,jkl", ValidFor: time.Minute}, e)

	e, final, _ = pairEventFromQR(whatsmeow.QRChannelSuccess)
	require.True(t, final)
	require.Equal(t, whatsapp.PairSuccess, e.Kind)

	e, final, _ = pairEventFromQR(whatsmeow.QRChannelTimeout)
	require.True(t, final)
	require.Equal(t, whatsapp.PairTimeout, e.Kind)
	require.ErrorIs(t, e.Err, whatsapp.ErrPairTimeout)

	e, final, _ = pairEventFromQR(whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventError, Error: whatsmeow.ErrPairInvalidDeviceSignature})
	require.True(t, final)
	require.Equal(t, whatsapp.PairFailed, e.Kind)
	require.ErrorIs(t, e.Err, whatsmeow.ErrPairInvalidDeviceSignature)

	e, final, _ = pairEventFromQR(whatsmeow.QRChannelClientOutdated)
	require.True(t, final)
	require.Equal(t, whatsapp.PairFailed, e.Kind)
	require.ErrorIs(t, e.Err, whatsapp.ErrConnect)
	require.ErrorContains(t, e.Err, "405 client outdated")

	e, final, _ = pairEventFromQR(whatsmeow.QRChannelErrUnexpectedEvent)
	require.True(t, final)
	require.Equal(t, whatsapp.PairFailed, e.Kind)

	_, final, ok = pairEventFromQR(whatsmeow.QRChannelScannedWithoutMultidevice)
	require.False(t, ok, "not passed on")
	require.False(t, final, "the codes keep rotating")
}

// TestInvisiblePartsExist guards the skip list against field renames in a whatsmeow update.
func TestInvisiblePartsExist(t *testing.T) {
	t.Parallel()
	fields := (&waE2E.Message{}).ProtoReflect().Descriptor().Fields()
	for name := range invisibleParts {
		require.NotNil(t, fields.ByName(protoreflect.Name(name)), "waE2E.Message has no field %s", name)
	}
}

func TestJIDRoundTrip(t *testing.T) {
	t.Parallel()
	for _, j := range []types.JID{alicePN, aliceDev, aliceLID, group, types.StatusBroadcastJID} {
		require.Equal(t, j, jidToWA(jidFromWA(j)))
		require.Equal(t, j.String(), jidFromWA(j).String())
	}
	require.True(t, jidToWA(whatsapp.JID{}).IsEmpty())
	require.True(t, jidFromWA(types.EmptyJID).IsEmpty())
}
