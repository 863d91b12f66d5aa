// Package adminplans renders the console's plans: the list with every limit, and the form that
// creates or edits a plan. It takes view models only and must not import fiber, services or the
// store.
package adminplans

import (
	"strconv"

	"github.com/google/uuid"

	"github.com/wagate/wagate/views/adminui"
	"github.com/wagate/wagate/views/layout"
)

// IndexPage lists the plans.
type IndexPage struct {
	Shell layout.AdminShell
	Plans []Plan
}

// Plan is a plan with the limits the console shows.
type Plan struct {
	ID                   uuid.UUID
	Name                 string
	IsDefault            bool
	Tenants              int64
	MaxSessions          int32
	MessagesPerDay       int32
	SendRatePerMinute    int32
	DelayMinMs           int32
	DelayMaxMs           int32
	MaxMediaBytes        int64
	StorageQuotaBytes    int64
	APIRequestsPerMinute int32
}

// Form field names. Sizes are entered in MiB and GiB; delays in milliseconds. The plan's limits for
// features not built yet (campaign size, webhook endpoints) have no field: saving keeps their stored
// values.
const (
	FieldName               = "name"
	FieldMaxSessions        = "max_sessions"
	FieldMessagesDay        = "messages_per_day"
	FieldSendRate           = "send_rate_per_minute"
	FieldDelayMin           = "delay_min_ms"
	FieldDelayMax           = "delay_max_ms"
	FieldMediaMiB           = "max_media_mib"
	FieldStorageGiB         = "storage_quota_gib"
	FieldAPIPerMinute       = "api_requests_per_minute"
	FieldDefault            = "default"
	FormID                  = "plan-form"
	MiB               int64 = 1 << 20
	GiB               int64 = 1 << 30
)

// FormPage creates (ID nil) or edits a plan.
type FormPage struct {
	Shell     layout.AdminShell
	ID        uuid.UUID
	Values    map[string]string // by field name, as typed
	Default   bool              // the checkbox
	IsDefault bool              // the plan is the default already: the flag can only move to another plan
	Tenants   int64
	Errors    map[string]string
}

// New reports whether the form creates a plan.
func (p FormPage) New() bool { return p.ID == uuid.Nil }

func (p FormPage) title() string {
	if p.New() {
		return "New plan"
	}
	return "Edit " + p.Values[FieldName]
}

func (p FormPage) field(name, label, suffix, help, step string) adminui.Field {
	f := adminui.Field{Label: label, Name: name, Value: p.Values[name], Error: p.Errors[name], Suffix: suffix, Help: help,
		Type: "number", Min: "0", Step: step, InputMode: "numeric", Required: true}
	if step == "" {
		f.Step = "1"
	} else {
		f.InputMode = "decimal"
	}
	return f
}

func (p Plan) delay() string {
	if p.DelayMinMs == p.DelayMaxMs {
		return seconds(p.DelayMinMs)
	}
	return seconds(p.DelayMinMs) + "–" + seconds(p.DelayMaxMs)
}

// seconds formats milliseconds as seconds ("1.5 s").
func seconds(ms int32) string {
	return strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64) + " s"
}

// limitRow is one line of the plan comparison: a limit and its value in each plan.
type limitRow struct {
	Label  string
	Hint   string
	Values []string
}

// rows lays the plans side by side, one row per limit, as a pricing page compares them.
func (p IndexPage) rows() []limitRow {
	type col = func(Plan) string
	defs := []struct {
		label, hint string
		value       col
	}{
		{"Sessions", "linked numbers", func(pl Plan) string { return limit(pl.MaxSessions) }},
		{"Messages per day", "across all sessions", func(pl Plan) string { return limit(pl.MessagesPerDay) }},
		{"Sends per minute", "per session", func(pl Plan) string { return adminui.Count(pl.SendRatePerMinute) }},
		{"Delay between sends", "random, in this range", func(pl Plan) string { return pl.delay() }},
		{"Largest media file", "", func(pl Plan) string { return adminui.Bytes(pl.MaxMediaBytes) }},
		{"Media storage", "", func(pl Plan) string { return adminui.Bytes(pl.StorageQuotaBytes) }},
		{"API requests per minute", "per tenant", func(pl Plan) string { return adminui.Count(pl.APIRequestsPerMinute) }},
	}
	out := make([]limitRow, 0, len(defs))
	for _, d := range defs {
		r := limitRow{Label: d.label, Hint: d.hint}
		for _, pl := range p.Plans {
			r.Values = append(r.Values, d.value(pl))
		}
		out = append(out, r)
	}
	return out
}

func limit[T ~int32 | ~int64](n T) string {
	if n == 0 {
		return "None"
	}
	return adminui.Count(n)
}
