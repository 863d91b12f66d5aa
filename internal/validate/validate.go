// Package validate is the one shape of "this input is wrong, field by field" that every domain
// package returns and the web layer turns into 422 (forms re-rendered with errors in place, or
// RFC 9457 problem+json with per-field errors). It imports nothing from the project.
package validate

import (
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Errors maps a field name (as the form or JSON names it) to what is wrong with it.
type Errors struct {
	Fields map[string]string
}

// Error lists the fields, sorted, so the message is stable.
func (e *Errors) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Field returns an Errors for one field.
func Field(name, msg string) *Errors { return &Errors{Fields: map[string]string{name: msg}} }

// Checker collects problems; Err returns them, or nil when there were none.
type Checker struct{ fields map[string]string }

// Add records msg for field unless the field already has a problem (the first one is the useful one).
func (c *Checker) Add(field, msg string) {
	if c.fields == nil {
		c.fields = map[string]string{}
	}
	if _, ok := c.fields[field]; !ok {
		c.fields[field] = msg
	}
}

// Check adds msg for field when ok is false.
func (c *Checker) Check(ok bool, field, msg string) {
	if !ok {
		c.Add(field, msg)
	}
}

// Err returns the collected problems as *Errors, or nil.
func (c *Checker) Err() error {
	if len(c.fields) == 0 {
		return nil
	}
	return &Errors{Fields: c.fields}
}

// Required checks that v has non-space content and at most max characters.
func (c *Checker) Required(field, v string, max int) {
	switch {
	case !utf8.ValidString(v):
		c.Add(field, "Contains characters that are not valid text.")
	case strings.TrimSpace(v) == "":
		c.Add(field, "This field is required.")
	case utf8.RuneCountInString(v) > max:
		c.Add(field, "Must be at most "+strconv.Itoa(max)+" characters.")
	}
}

// Email checks that v is a plain address (no display name) of sane length.
func (c *Checker) Email(field, v string) {
	if strings.TrimSpace(v) == "" {
		c.Add(field, "This field is required.")
		return
	}
	if !utf8.ValidString(v) {
		c.Add(field, "Enter a valid email address, like name@example.com.")
		return
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || len(v) > 254 || !strings.Contains(v[strings.LastIndex(v, "@")+1:], ".") {
		c.Add(field, "Enter a valid email address, like name@example.com.")
	}
}

// NormalizeEmail trims and lower-cases an address (emails are compared case-insensitively).
func NormalizeEmail(v string) string { return strings.ToLower(strings.TrimSpace(v)) }
