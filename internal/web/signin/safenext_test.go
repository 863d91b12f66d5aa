package signin

import "testing"

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for next, want := range map[string]string{
		"":                  "",
		"/app":              "/app",
		"/app/keys?page=2":  "/app/keys?page=2",
		"/admin/tenants#x":  "/admin/tenants#x",
		"//evil.com":        "",
		"///evil.com":       "",
		"/\\evil.com":       "",
		"/app\\..\\x":       "",
		"/\t/evil.com":      "",
		"/\n/evil.com":      "",
		"https://evil.com":  "",
		"http:/evil.com":    "",
		"javascript:alert":  "",
		"evil.com":          "",
		" /app":             "",
		"/%2F%2Fevil.com":   "/%2F%2Fevil.com", // one path segment on this site, not a host
		"/app?next=//x.com": "/app?next=//x.com",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}
