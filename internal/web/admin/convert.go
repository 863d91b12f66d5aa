package admin

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/views/adminui"
	"github.com/wagate/wagate/views/paths"
)

// auditEntries turns audit items into what the console shows.
func auditEntries(items []audit.Item) []adminui.AuditEntry {
	out := make([]adminui.AuditEntry, 0, len(items))
	for _, it := range items {
		e := adminui.AuditEntry{ID: it.ID.String(), At: it.CreatedAt, Action: it.Action, ActorType: it.ActorType,
			ActorEmail: it.ActorEmail, TenantName: it.TenantName, TargetType: it.TargetType, TargetID: it.TargetID,
			IP: it.IP, Details: details(it.Details)}
		if it.TenantID != nil {
			e.TenantID = it.TenantID.String()
			e.TenantURL = paths.AdminTenant(*it.TenantID)
		}
		out = append(out, e)
	}
	return out
}

// details sorts an entry's details by key and formats each value compactly.
func details(m map[string]any) []adminui.Detail {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]adminui.Detail, 0, len(keys))
	for _, k := range keys {
		out = append(out, adminui.Detail{Key: k, Value: detailValue(m[k])})
	}
	return out
}

func detailValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "—"
	case string:
		return v
	case float64:
		return fmt.Sprint(v)
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case []any:
		parts := make([]string, 0, len(v))
		for _, p := range v {
			parts = append(parts, detailValue(p))
		}
		return strings.Join(parts, ", ")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
