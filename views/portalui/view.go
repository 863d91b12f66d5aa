// Package portalui holds the small pieces the tenant portal's pages share: page headers, cards,
// form fields with their errors in place, copy-to-clipboard boxes, role and on/off tags, avatars,
// icons the portal needs beyond views/components, and time and size formatting. Like every view
// package it takes plain view models and never touches fiber, services or the store.
package portalui

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors are a form's field errors, keyed by field name, as the domain's validate.Errors carries them.
type Errors map[string]string

// Has reports whether field has an error.
func (e Errors) Has(field string) bool { _, ok := e[field]; return ok }

// Get returns field's error, or "".
func (e Errors) Get(field string) string { return e[field] }

// Any reports whether there is any error at all.
func (e Errors) Any() bool { return len(e) > 0 }

// Initials returns up to two letters for an avatar: of the name's first two words, else of the email.
func Initials(name, email string) string {
	words := strings.FieldsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || r == '-' || r == '.' })
	var out []rune
	for _, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			out = append(out, unicode.ToUpper(r))
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 && email != "" {
		r, _ := utf8.DecodeRuneInString(email)
		out = append(out, unicode.ToUpper(r))
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// avatarHue picks one of a few brand-friendly hues from s, so each person keeps their colour.
func avatarHue(s string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	hues := []string{"158", "172", "190", "205", "225", "262", "32", "12"}
	return hues[h%uint32(len(hues))]
}

// Ago describes t relative to now: "just now", "5 minutes ago", "in 6 days", or a date when far off.
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 45*time.Second:
		if future {
			return "in a moment"
		}
		return "just now"
	case d < 90*time.Second:
		s = "1 minute"
	case d < 45*time.Minute:
		s = fmt.Sprintf("%d minutes", int(d.Round(time.Minute)/time.Minute))
	case d < 90*time.Minute:
		s = "1 hour"
	case d < 22*time.Hour:
		s = fmt.Sprintf("%d hours", int(d.Round(time.Hour)/time.Hour))
	case d < 36*time.Hour:
		if future {
			return "tomorrow"
		}
		return "yesterday"
	case d < 26*24*time.Hour:
		s = fmt.Sprintf("%d days", int((d+12*time.Hour)/(24*time.Hour)))
	default:
		return Date(t)
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// Date is a day as people read it: "12 Mar 2025".
func Date(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// Exact is a moment to the second, in UTC, for tooltips and machine-readable attributes.
func Exact(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04:05 UTC") }

// ISO is t for a <time datetime> attribute.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Bytes formats a size in bytes as "16 MB" or "1.5 GB" (powers of 1024, as uploads are measured).
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := fmt.Sprintf("%.1f", v)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + string("KMGTPE"[exp]) + "B"
}

// Number formats n with thousands separators: 10,000.
func Number[T ~int | ~int32 | ~int64](n T) string {
	s := fmt.Sprintf("%d", n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// RoleLabel is a role as the UI names it.
func RoleLabel(role string) string {
	if role == "" {
		return ""
	}
	return strings.ToUpper(role[:1]) + role[1:]
}

func roleClass(role string) string {
	switch role {
	case "owner":
		return "tag wg-role wg-role--owner"
	case "admin":
		return "tag wg-role wg-role--admin"
	default:
		return "tag wg-role"
	}
}

func inputClass(base string, errs Errors, field string) string {
	if errs.Has(field) {
		return base + " is-danger"
	}
	return base
}

// Field is one labelled input of a form, with its error (if any) shown under it.
type Field struct {
	Label        string
	Name         string
	Type         string // default "text"
	Value        string
	Placeholder  string
	Help         string
	Autocomplete string
	InputMode    string
	Required     bool
	ReadOnly     bool
	Autofocus    bool
	Mono         bool
	MaxLength    int
	TestID       string // default "field-" + Name
	Errors       Errors
}

func (f Field) typ() string {
	if f.Type == "" {
		return "text"
	}
	return f.Type
}

func (f Field) testID() string {
	if f.TestID == "" {
		return "field-" + f.Name
	}
	return f.TestID
}

func (f Field) id() string { return "f-" + f.Name }

func (f Field) inputClass() string {
	c := "input"
	if f.Mono {
		c += " wg-mono"
	}
	return inputClass(c, f.Errors, f.Name)
}

// Confirm is a confirmation panel for a destructive action: a GET page whose form POSTs, so it
// works without JavaScript.
type Confirm struct {
	Title     string
	Text      string
	Detail    string // a second, smaller paragraph
	Action    string // POST target
	Button    string
	CancelURL string
	CSRFToken string
	TestID    string // the form's data-testid; the button gets TestID+"-submit"
}
