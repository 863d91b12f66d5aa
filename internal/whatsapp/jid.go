package whatsapp

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Servers of JIDs.
const (
	ServerUser      = "s.whatsapp.net"
	ServerGroup     = "g.us"
	ServerLID       = "lid"
	ServerBroadcast = "broadcast"
)

// JID is a WhatsApp address: user[:device]@server.
type JID struct {
	User   string
	Device uint16
	Server string
}

// UserJID is the JID of a phone number given as international digits.
func UserJID(digits string) JID { return JID{User: digits, Server: ServerUser} }

// ParseJID parses user[:device]@server. Unlike whatsmeow's ParseJID it refuses a string without
// "@" (whatsmeow would make the whole string the server), and a user part that is not digits or a
// group id.
func ParseJID(s string) (JID, error) {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return JID{}, fmt.Errorf("jid %q: want user@server", s)
	}
	j := JID{User: s[:at], Server: s[at+1:]}
	if colon := strings.IndexByte(j.User, ':'); colon >= 0 {
		d, err := strconv.ParseUint(j.User[colon+1:], 10, 16)
		if err != nil {
			return JID{}, fmt.Errorf("jid %q: bad device", s)
		}
		j.User, j.Device = j.User[:colon], uint16(d)
	}
	switch j.Server {
	case ServerUser, ServerLID, ServerGroup, ServerBroadcast:
	default:
		return JID{}, fmt.Errorf("jid %q: unknown server %q", s, j.Server)
	}
	for _, r := range j.User {
		if (r < '0' || r > '9') && r != '-' {
			return JID{}, fmt.Errorf("jid %q: user part must be digits", s)
		}
	}
	return j, nil
}

// String formats the JID as WhatsApp does.
func (j JID) String() string {
	if j.Server == "" {
		return ""
	}
	if j.Device > 0 {
		return j.User + ":" + strconv.Itoa(int(j.Device)) + "@" + j.Server
	}
	return j.User + "@" + j.Server
}

// IsEmpty reports whether j is the zero JID.
func (j JID) IsEmpty() bool { return j.Server == "" }

// IsGroup reports whether j is a group.
func (j JID) IsGroup() bool { return j.Server == ServerGroup }

// IsLID reports whether j is a hidden-user (LID) address.
func (j JID) IsLID() bool { return j.Server == ServerLID }

// NonAD drops the device part: the address to send to.
func (j JID) NonAD() JID { return JID{User: j.User, Server: j.Server} }

// MessageID is a WhatsApp message id. The gateway fixes it when the message row is created and
// reuses it on every retry, which makes retries idempotent on WhatsApp's side.
type MessageID string

// NewMessageID returns an id in the form whatsmeow generates: "3EB0" and 18 upper-case hex digits.
func NewMessageID() MessageID {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return MessageID("3EB0" + strings.ToUpper(hex.EncodeToString(b)))
}
