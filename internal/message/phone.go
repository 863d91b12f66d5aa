package message

import (
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/wagate/wagate/internal/whatsapp"
)

// Recipient is where a message goes: a JID, and the E.164 number when it is a person's number.
type Recipient struct {
	JID   whatsapp.JID
	Phone string // E.164 with "+", "" for groups and LIDs
}

// ParseRecipient reads to as a JID (user@s.whatsapp.net, …@g.us, …@lid) or as a phone number in any
// common format, normalised with the tenant's default country (ISO 3166 alpha-2). The error is the
// sentence shown on the field.
func ParseRecipient(to, defaultCountry string) (Recipient, string) {
	to = strings.TrimSpace(to)
	if to == "" {
		return Recipient{}, "Enter a phone number or a group JID."
	}
	if strings.Contains(to, "@") {
		j, err := whatsapp.ParseJID(to)
		if err != nil || j.User == "" || j.Server == whatsapp.ServerBroadcast {
			return Recipient{}, "Not a WhatsApp address: use a phone number, or a JID such as 1203630…@g.us."
		}
		j.Device = 0 // sends go to the account, never to one of its devices
		r := Recipient{JID: j}
		if j.Server == whatsapp.ServerUser {
			p, msg := ParsePhone("+"+j.User, defaultCountry)
			if msg != "" {
				return Recipient{}, msg
			}
			r.Phone = p
			r.JID.User = p[1:]
		}
		return r, ""
	}
	p, msg := ParsePhone(to, defaultCountry)
	if msg != "" {
		return Recipient{}, msg
	}
	return Recipient{JID: whatsapp.UserJID(p[1:]), Phone: p}, ""
}

// ParsePhone normalises a phone number to E.164 ("+14155550123"); the error is a sentence for people.
func ParsePhone(s, defaultCountry string) (string, string) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	n, err := phonenumbers.Parse(s, strings.ToUpper(defaultCountry))
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", "Not a valid phone number. Use the international format, e.g. +14155550123 (numbers without a country code are read as " +
			strings.ToUpper(defaultCountry) + ")."
	}
	return phonenumbers.Format(n, phonenumbers.E164), ""
}

// VCard is a vCard 3.0 of a name and an E.164 number, with the waid parameter WhatsApp uses to
// offer "Message" on the card (the contact card the portal and the API make from a name and number).
func VCard(name, e164 string) string {
	esc := strings.NewReplacer(`\`, `\\`, ",", `\,`, ";", `\;`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(name)
	return "BEGIN:VCARD\nVERSION:3.0\nN:" + esc + ";;;;\nFN:" + esc + "\nTEL;type=CELL;type=VOICE;waid=" +
		strings.TrimPrefix(e164, "+") + ":" + e164 + "\nEND:VCARD"
}
