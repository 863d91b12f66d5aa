package whatsmeow

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/wagate/wagate/internal/whatsapp"
)

// This file is the seam's border: whatsmeow's types.JID, events.* and waE2E messages become the
// neutral types of package whatsapp here and nowhere else, in Make/Parse pairs.

// --- JIDs ---

// jidFromWA converts a whatsmeow JID. Agent and integrator parts (bots, hosted accounts) are not
// kept: the gateway never addresses them.
func jidFromWA(j types.JID) whatsapp.JID {
	if j.IsEmpty() {
		return whatsapp.JID{}
	}
	return whatsapp.JID{User: j.User, Device: j.Device, Server: j.Server}
}

// jidToWA converts a neutral JID for whatsmeow.
func jidToWA(j whatsapp.JID) types.JID {
	if j.IsEmpty() {
		return types.EmptyJID
	}
	return types.JID{User: j.User, Device: j.Device, Server: j.Server}
}

// chatServerSupported reports whether a chat on server is one the gateway handles: users, LIDs,
// groups and broadcast lists. Newsletters, bots and Messenger interop are not.
func chatServerSupported(server string) bool {
	switch server {
	case types.DefaultUserServer, types.HiddenUserServer, types.GroupServer, types.BroadcastServer:
		return true
	}
	return false
}

// --- Lifecycle events ---

// convertEvent turns a whatsmeow event into the neutral event it stands for. ok is false for events
// the gateway does not care about (presence, app state, calls…) and for messages it skips.
func convertEvent(raw any) (whatsapp.Event, bool) {
	switch evt := raw.(type) {
	case *events.Message:
		return messageEvent(evt)
	case *events.Receipt:
		return receiptEvent(evt)
	case *events.Connected:
		return whatsapp.Connected{}, true
	case *events.Disconnected:
		return whatsapp.Disconnected{Reason: "the connection to WhatsApp closed"}, true
	case *events.LoggedOut:
		return loggedOutEvent(evt), true
	case *events.StreamReplaced:
		return whatsapp.StreamReplaced{}, true
	case *events.TemporaryBan:
		return whatsapp.TemporaryBan{Code: int(evt.Code), Reason: evt.Code.String(), Expire: evt.Expire}, true
	case *events.ClientOutdated:
		return whatsapp.ClientOutdated{}, true
	case *events.ConnectFailure:
		msg := evt.Message
		if msg == "" {
			msg = evt.Reason.String()
		}
		return whatsapp.ConnectFailure{Code: int(evt.Reason), Message: msg}, true
	case *events.KeepAliveTimeout:
		return whatsapp.KeepAliveTimeout{ErrorCount: evt.ErrorCount, LastSuccess: evt.LastSuccess}, true
	case *events.KeepAliveRestored:
		return whatsapp.KeepAliveRestored{}, true
	case *events.PairSuccess:
		return whatsapp.PairSucceeded{
			Device: jidFromWA(evt.ID), LID: jidFromWA(evt.LID),
			BusinessName: evt.BusinessName, Platform: evt.Platform,
		}, true
	case *events.PushNameSetting:
		if evt.Action.GetName() == "" {
			return nil, false
		}
		return whatsapp.PushNameChanged{Name: evt.Action.GetName()}, true
	case *events.HistorySync:
		return whatsapp.HistorySynced{Conversations: len(evt.Data.GetConversations())}, true
	}
	return nil, false
}

func loggedOutEvent(evt *events.LoggedOut) whatsapp.LoggedOut {
	if !evt.OnConnect {
		// A stream error (device_removed) while connected: the phone unlinked this device.
		return whatsapp.LoggedOut{Code: int(events.ConnectFailureLoggedOut), Reason: "the device was removed from the phone"}
	}
	return whatsapp.LoggedOut{OnConnect: true, Code: int(evt.Reason), Reason: evt.Reason.String()}
}

// --- Receipts ---

// receiptEvent converts a receipt about messages the account sent. Receipts that say nothing about
// their delivery are skipped: the account's own devices reading (read-self, played-self, sender),
// retry requests (whatsmeow answers those itself), server errors and protocol receipts.
func receiptEvent(evt *events.Receipt) (whatsapp.Event, bool) {
	var typ whatsapp.ReceiptType
	switch evt.Type {
	case types.ReceiptTypeDelivered, types.ReceiptTypeInactive:
		// "inactive" is a delivery receipt from a device not marked online; it still means delivered.
		typ = whatsapp.ReceiptDelivered
	case types.ReceiptTypeRead:
		typ = whatsapp.ReceiptRead
	case types.ReceiptTypePlayed:
		typ = whatsapp.ReceiptPlayed
	default:
		return nil, false
	}
	if evt.IsFromMe || evt.Chat == types.StatusBroadcastJID || len(evt.MessageIDs) == 0 {
		return nil, false
	}
	ids := make([]whatsapp.MessageID, len(evt.MessageIDs))
	for i, id := range evt.MessageIDs {
		ids[i] = whatsapp.MessageID(id)
	}
	return whatsapp.Receipt{
		MessageIDs: ids,
		Chat:       jidFromWA(evt.Chat.ToNonAD()),
		Sender:     jidFromWA(evt.Sender.ToNonAD()),
		Type:       typ,
		Timestamp:  evt.Timestamp,
	}, true
}

// --- Messages ---

// messageEvent converts a message: a reaction, an edit, a revoke, or a message with content.
// Status broadcasts, newsletters and protocol-only messages (key distribution, app state keys,
// history sync notices…) are skipped.
func messageEvent(evt *events.Message) (whatsapp.Event, bool) {
	info := evt.Info
	msg := evt.Message
	if msg == nil || info.Chat == types.StatusBroadcastJID || !chatServerSupported(info.Chat.Server) {
		return nil, false
	}
	chat := canonicalChat(info.MessageSource)
	sender := jidFromWA(info.Sender.ToNonAD())

	if r := msg.GetReactionMessage(); r != nil {
		return whatsapp.Reaction{
			Chat: chat, Sender: sender, Target: whatsapp.MessageID(r.GetKey().GetID()),
			Emoji: r.GetText(), Timestamp: info.Timestamp,
		}, true
	}
	if pm := msg.GetProtocolMessage(); pm != nil {
		// Type is checked for presence: REVOKE is the enum's zero value, so GetType() of a protocol
		// message without a type (a history sync notice, say) would read as a revoke.
		if pm.Type == nil {
			return nil, false
		}
		switch pm.GetType() {
		case waE2E.ProtocolMessage_REVOKE:
			return whatsapp.Revoked{
				Chat: chat, Sender: sender, Target: whatsapp.MessageID(pm.GetKey().GetID()), Timestamp: info.Timestamp,
			}, true
		case waE2E.ProtocolMessage_MESSAGE_EDIT:
			return whatsapp.Edited{
				Chat: chat, Sender: sender, Target: whatsapp.MessageID(pm.GetKey().GetID()),
				Text: textOf(pm.GetEditedMessage()), Timestamp: info.Timestamp,
			}, true
		}
		return nil, false
	}

	in := whatsapp.Incoming{
		ID:        whatsapp.MessageID(info.ID),
		Chat:      chat,
		Sender:    sender,
		SenderAlt: jidFromWA(info.SenderAlt.ToNonAD()),
		IsFromMe:  info.IsFromMe,
		IsGroup:   chat.Server == types.GroupServer,
		PushName:  info.PushName,
		Timestamp: info.Timestamp,
	}
	if !fillContent(&in, msg) {
		return nil, false
	}
	return whatsapp.MessageReceived{Message: in}, true
}

// canonicalChat names a message's conversation. A direct chat named by a LID becomes the phone
// number when WhatsApp sent it along (SenderAlt from others, RecipientAlt for the account's own
// messages), so one contact is one chat; the LID stays visible in Sender/SenderAlt. A message to a
// broadcast list shows up in the direct chat with its sender, as on the phone.
func canonicalChat(src types.MessageSource) whatsapp.JID {
	chat := src.Chat.ToNonAD()
	if chat.Server == types.BroadcastServer && !src.IsFromMe {
		chat = src.Sender.ToNonAD()
		if chat.Server == types.HiddenUserServer && src.SenderAlt.Server == types.DefaultUserServer {
			chat = src.SenderAlt.ToNonAD()
		}
		return jidFromWA(chat)
	}
	if chat.Server == types.HiddenUserServer {
		alt := src.SenderAlt
		if src.IsFromMe {
			alt = src.RecipientAlt
		}
		if alt.Server == types.DefaultUserServer {
			chat = alt.ToNonAD()
		}
	}
	return jidFromWA(chat)
}

// fillContent sets the kind and content of in from msg. It reports false for a message with
// nothing a person wrote (only protocol parts).
func fillContent(in *whatsapp.Incoming, msg *waE2E.Message) bool {
	var ci *waE2E.ContextInfo
	switch {
	case msg.Conversation != nil:
		in.Kind, in.Text = whatsapp.KindText, msg.GetConversation()
	case msg.ExtendedTextMessage != nil:
		m := msg.GetExtendedTextMessage()
		in.Kind, in.Text, ci = whatsapp.KindText, m.GetText(), m.GetContextInfo()
	case msg.ImageMessage != nil:
		m := msg.GetImageMessage()
		in.Kind, in.Text, ci = whatsapp.KindImage, m.GetCaption(), m.GetContextInfo()
		in.Media = incomingMedia(m, mediaKindImage, m.GetMimetype(), "", m.GetFileLength())
	case msg.VideoMessage != nil:
		m := msg.GetVideoMessage()
		in.Kind, in.Text, ci = whatsapp.KindVideo, m.GetCaption(), m.GetContextInfo()
		in.Media = incomingMedia(m, mediaKindVideo, m.GetMimetype(), "", m.GetFileLength())
	case msg.AudioMessage != nil:
		m := msg.GetAudioMessage()
		in.Kind, ci = whatsapp.KindAudio, m.GetContextInfo()
		in.Media = incomingMedia(m, mediaKindAudio, m.GetMimetype(), "", m.GetFileLength())
	case msg.DocumentMessage != nil:
		m := msg.GetDocumentMessage()
		in.Kind, in.Text, ci = whatsapp.KindDocument, m.GetCaption(), m.GetContextInfo()
		name := m.GetFileName()
		if name == "" {
			name = m.GetTitle()
		}
		in.Media = incomingMedia(m, mediaKindDocument, m.GetMimetype(), name, m.GetFileLength())
	case msg.StickerMessage != nil:
		m := msg.GetStickerMessage()
		in.Kind, ci = whatsapp.KindSticker, m.GetContextInfo()
		in.Media = incomingMedia(m, mediaKindSticker, m.GetMimetype(), "", m.GetFileLength())
	case msg.LocationMessage != nil:
		m := msg.GetLocationMessage()
		in.Kind, ci = whatsapp.KindLocation, m.GetContextInfo()
		in.Location = &whatsapp.Location{
			Latitude: m.GetDegreesLatitude(), Longitude: m.GetDegreesLongitude(), Name: m.GetName(), Address: m.GetAddress(),
		}
	case msg.LiveLocationMessage != nil:
		m := msg.GetLiveLocationMessage()
		in.Kind, in.Text, ci = whatsapp.KindLocation, m.GetCaption(), m.GetContextInfo()
		in.Location = &whatsapp.Location{Latitude: m.GetDegreesLatitude(), Longitude: m.GetDegreesLongitude()}
	case msg.ContactMessage != nil:
		m := msg.GetContactMessage()
		in.Kind, ci = whatsapp.KindContact, m.GetContextInfo()
		in.Contact = &whatsapp.Contact{DisplayName: m.GetDisplayName(), VCard: m.GetVcard()}
	case msg.ContactsArrayMessage != nil:
		// Several cards: the first is kept, named by the array's display name when it has one.
		m := msg.GetContactsArrayMessage()
		in.Kind, ci = whatsapp.KindContact, m.GetContextInfo()
		in.Contact = &whatsapp.Contact{DisplayName: m.GetDisplayName()}
		if cs := m.GetContacts(); len(cs) > 0 {
			in.Contact.VCard = cs[0].GetVcard()
			if in.Contact.DisplayName == "" {
				in.Contact.DisplayName = cs[0].GetDisplayName()
			}
		}
	default:
		if !hasVisibleContent(msg) {
			return false
		}
		in.Kind = whatsapp.KindUnknown
	}
	in.ReplyTo = whatsapp.MessageID(ci.GetStanzaID())
	return true
}

// invisibleParts are fields of waE2E.Message that carry no content for a person: key distribution,
// metadata, protocol and secret-encrypted updates (poll votes, encrypted reactions) and pins.
var invisibleParts = map[protoreflect.Name]bool{
	"senderKeyDistributionMessage":               true,
	"fastRatchetKeySenderKeyDistributionMessage": true,
	"messageContextInfo":                         true,
	"protocolMessage":                            true,
	"keepInChatMessage":                          true,
	"pinInChatMessage":                           true,
	"pollUpdateMessage":                          true,
	"encReactionMessage":                         true,
	"encCommentMessage":                          true,
	"secretEncryptedMessage":                     true,
	"reactionMessage":                            true,
}

// hasVisibleContent reports whether msg has a part a person would see (a poll, a button reply, a
// kind this gateway has no name for), so it is recorded as KindUnknown rather than dropped.
func hasVisibleContent(msg *waE2E.Message) bool {
	visible := false
	msg.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		if !invisibleParts[fd.Name()] {
			visible = true
			return false
		}
		return true
	})
	return visible
}

// textOf is the text of a message, or its caption.
func textOf(msg *waE2E.Message) string {
	switch {
	case msg.GetConversation() != "":
		return msg.GetConversation()
	case msg.GetExtendedTextMessage() != nil:
		return msg.GetExtendedTextMessage().GetText()
	case msg.GetImageMessage() != nil:
		return msg.GetImageMessage().GetCaption()
	case msg.GetVideoMessage() != nil:
		return msg.GetVideoMessage().GetCaption()
	case msg.GetDocumentMessage() != nil:
		return msg.GetDocumentMessage().GetCaption()
	}
	return ""
}

// --- Media handles ---

// Media kinds as stored in a handle. Each names whatsmeow's media type (the key derivation label).
const (
	mediaKindImage    = "image"
	mediaKindVideo    = "video"
	mediaKindAudio    = "audio"
	mediaKindDocument = "document"
	mediaKindSticker  = "sticker"
)

var mediaKindTypes = map[string]whatsmeow.MediaType{
	mediaKindImage:    whatsmeow.MediaImage,
	mediaKindVideo:    whatsmeow.MediaVideo,
	mediaKindAudio:    whatsmeow.MediaAudio,
	mediaKindDocument: whatsmeow.MediaDocument,
	mediaKindSticker:  whatsmeow.MediaImage, // stickers are keyed as images
}

// mediaHandle is what Download needs to fetch and decrypt inbound media, stored with the message as
// JSON (whatsapp.MediaHandle). V versions the layout.
type mediaHandle struct {
	V             int    `json:"v"`
	Kind          string `json:"kind"`
	DirectPath    string `json:"direct_path"`
	MediaKey      []byte `json:"media_key"`
	FileEncSHA256 []byte `json:"file_enc_sha256"`
	FileSHA256    []byte `json:"file_sha256"`
	FileLength    uint64 `json:"file_length"`
}

const mediaHandleVersion = 1

func incomingMedia(m whatsmeow.DownloadableMessage, kind, mimeType, fileName string, size uint64) *whatsapp.IncomingMedia {
	return &whatsapp.IncomingMedia{
		MIME:     mimeType,
		FileName: fileName,
		Size:     int64(size),
		SHA256:   m.GetFileSHA256(),
		Handle: encodeMediaHandle(mediaHandle{
			Kind: kind, DirectPath: m.GetDirectPath(), MediaKey: m.GetMediaKey(),
			FileEncSHA256: m.GetFileEncSHA256(), FileSHA256: m.GetFileSHA256(), FileLength: size,
		}),
	}
}

func encodeMediaHandle(h mediaHandle) whatsapp.MediaHandle {
	h.V = mediaHandleVersion
	b, err := json.Marshal(h)
	if err != nil {
		panic(fmt.Sprintf("marshal media handle: %v", err)) // plain fields: cannot fail
	}
	return whatsapp.MediaHandle(b)
}

// errBadHandle is returned for a media handle this driver did not make.
var errBadHandle = errors.New("whatsmeow: not a media handle of this driver")

func decodeMediaHandle(b whatsapp.MediaHandle) (mediaHandle, whatsmeow.MediaType, error) {
	var h mediaHandle
	if err := json.Unmarshal(b, &h); err != nil {
		return h, "", fmt.Errorf("%w: %w", errBadHandle, err)
	}
	mt, ok := mediaKindTypes[h.Kind]
	if h.V != mediaHandleVersion || !ok || !strings.HasPrefix(h.DirectPath, "/") || len(h.MediaKey) != 32 {
		return h, "", errBadHandle
	}
	return h, mt, nil
}

// --- Outgoing messages ---

// uploadTypeFor is the media type to upload an outgoing message's file as, or "" for kinds
// without a file.
func uploadTypeFor(k whatsapp.Kind) whatsmeow.MediaType {
	switch k {
	case whatsapp.KindImage, whatsapp.KindSticker:
		return whatsmeow.MediaImage
	case whatsapp.KindVideo:
		return whatsmeow.MediaVideo
	case whatsapp.KindAudio:
		return whatsmeow.MediaAudio
	case whatsapp.KindDocument:
		return whatsmeow.MediaDocument
	}
	return ""
}

// voiceNoteMIME is the type a voice note is sent with; phones play only OGG/Opus as voice notes.
const voiceNoteMIME = "audio/ogg; codecs=opus"

// isVoiceNote reports whether an audio message goes as a voice note: asked for, and OGG with Opus.
// Other audio goes as an audio file (no transcoder here; DESIGN.md traps).
func isVoiceNote(m whatsapp.Outgoing) bool {
	if !m.VoiceNote || m.Kind != whatsapp.KindAudio || m.Media == nil {
		return false
	}
	mt, params, err := mime.ParseMediaType(m.Media.MIME)
	if err != nil || mt != "audio/ogg" {
		return false
	}
	for _, c := range strings.Split(params["codecs"], ",") {
		if strings.EqualFold(strings.TrimSpace(c), "opus") {
			return true
		}
	}
	return false
}

// buildMessage makes the waE2E message for m. Media kinds need up, the result of uploading m.Media.
func buildMessage(m whatsapp.Outgoing, up *whatsmeow.UploadResponse) (*waE2E.Message, error) {
	ci := replyContext(m.ReplyTo)
	if t := uploadTypeFor(m.Kind); t != "" && (m.Media == nil || up == nil) {
		return nil, fmt.Errorf("%w: a %s message needs its file", whatsapp.ErrMediaRejected, m.Kind)
	}
	switch m.Kind {
	case whatsapp.KindText:
		if ci == nil {
			return &waE2E.Message{Conversation: proto.String(m.Text)}, nil
		}
		// Conversation has no ContextInfo: a reply must be an extended text message.
		return &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String(m.Text), ContextInfo: ci}}, nil
	case whatsapp.KindImage:
		return &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
			Caption: optString(m.Caption), Mimetype: proto.String(m.Media.MIME),
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength),
			ContextInfo: ci,
		}}, nil
	case whatsapp.KindVideo:
		return &waE2E.Message{VideoMessage: &waE2E.VideoMessage{
			Caption: optString(m.Caption), Mimetype: proto.String(m.Media.MIME),
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength),
			ContextInfo: ci,
		}}, nil
	case whatsapp.KindAudio:
		a := &waE2E.AudioMessage{
			Mimetype: proto.String(m.Media.MIME),
			URL:      proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength),
			ContextInfo: ci,
		}
		if isVoiceNote(m) {
			a.PTT = proto.Bool(true)
			a.Mimetype = proto.String(voiceNoteMIME)
		}
		return &waE2E.Message{AudioMessage: a}, nil
	case whatsapp.KindDocument:
		return &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
			FileName: optString(m.FileName), Title: optString(m.FileName),
			Caption: optString(m.Caption), Mimetype: proto.String(m.Media.MIME),
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength),
			ContextInfo: ci,
		}}, nil
	case whatsapp.KindSticker:
		return &waE2E.Message{StickerMessage: &waE2E.StickerMessage{
			Mimetype: proto.String(m.Media.MIME),
			URL:      proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength),
			ContextInfo: ci,
		}}, nil
	case whatsapp.KindLocation:
		if m.Location == nil {
			return nil, errors.New("whatsmeow: a location message needs a location")
		}
		return &waE2E.Message{LocationMessage: &waE2E.LocationMessage{
			DegreesLatitude: proto.Float64(m.Location.Latitude), DegreesLongitude: proto.Float64(m.Location.Longitude),
			Name: optString(m.Location.Name), Address: optString(m.Location.Address), ContextInfo: ci,
		}}, nil
	case whatsapp.KindContact:
		if m.Contact == nil {
			return nil, errors.New("whatsmeow: a contact message needs a contact card")
		}
		return &waE2E.Message{ContactMessage: &waE2E.ContactMessage{
			DisplayName: proto.String(m.Contact.DisplayName), Vcard: proto.String(m.Contact.VCard), ContextInfo: ci,
		}}, nil
	}
	return nil, fmt.Errorf("whatsmeow: cannot send a message of kind %q", m.Kind)
}

// replyContext quotes the message a reply answers. WhatsApp shows the quote from the recipient's
// own copy; the text placed in QuotedMessage is a fallback (mautrix sends an empty one).
func replyContext(q *whatsapp.Quote) *waE2E.ContextInfo {
	if q == nil || q.ID == "" {
		return nil
	}
	ci := &waE2E.ContextInfo{
		StanzaID:      proto.String(string(q.ID)),
		QuotedMessage: &waE2E.Message{Conversation: proto.String(q.Text)},
	}
	if !q.Sender.IsEmpty() {
		ci.Participant = proto.String(q.Sender.NonAD().String())
	}
	return ci
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return proto.String(s)
}

// --- Pairing ---

// pairingWindow is how long WhatsApp keeps a pairing socket open: six QR codes, 60 s + 5 × 20 s.
const pairingWindow = 160 * time.Second

// pairEventFromQR converts an item of whatsmeow's QR channel. final says the pairing ended; ok is
// false for items that are not passed on.
func pairEventFromQR(item whatsmeow.QRChannelItem) (e whatsapp.PairEvent, final, ok bool) {
	switch item.Event {
	case whatsmeow.QRChannelEventCode:
		return whatsapp.PairEvent{Kind: whatsapp.PairQR, QR: item.Code, ValidFor: item.Timeout}, false, true
	case whatsmeow.QRChannelSuccess.Event:
		return whatsapp.PairEvent{Kind: whatsapp.PairSuccess}, true, true
	case whatsmeow.QRChannelTimeout.Event:
		return whatsapp.PairEvent{Kind: whatsapp.PairTimeout, Err: whatsapp.ErrPairTimeout}, true, true
	case whatsmeow.QRChannelEventError:
		return whatsapp.PairEvent{Kind: whatsapp.PairFailed, Err: fmt.Errorf("whatsmeow: pairing failed: %w", item.Error)}, true, true
	case whatsmeow.QRChannelClientOutdated.Event:
		return whatsapp.PairEvent{Kind: whatsapp.PairFailed, Err: errClientOutdated}, true, true
	case whatsmeow.QRChannelErrUnexpectedEvent.Event:
		return whatsapp.PairEvent{Kind: whatsapp.PairFailed,
			Err: errors.New("whatsmeow: pairing failed: WhatsApp answered as if the device were already linked; start again")}, true, true
	}
	// err-scanned-without-multidevice does not end the channel: the codes keep rotating and the
	// user may scan again with a phone that supports linked devices.
	return whatsapp.PairEvent{}, false, false
}

// errClientOutdated says WhatsApp refused this client version (405).
var errClientOutdated = fmt.Errorf("%w: WhatsApp rejects this client version (405 client outdated); "+
	"update wagate or configure a newer WhatsApp Web version", whatsapp.ErrConnect)
