package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/wagate/wagate"

// allowed lists, for each restricted import path prefix, the packages (by prefix, relative to the
// module) that may import it directly. Only production imports count: tests may use what they need.
var allowed = map[string][]string{
	"go.mau.fi/whatsmeow":            {"internal/whatsapp/whatsmeow"},
	"github.com/aws/aws-sdk-go-v2":   {"internal/media/s3"},
	"github.com/hibiken/asynq":       {"internal/worker", "cmd/"},
	"github.com/gofiber/fiber":       {"internal/web"},
	"github.com/danielgtaylor/huma":  {"internal/web"},
	"github.com/alexedwards/scs":     {"internal/auth", "internal/web", "internal/app", "cmd/"},
	"github.com/a-h/templ":           {"views/", "internal/web"},
	"github.com/jackc/pgx":           {"internal/store", "internal/cluster", "internal/dbtest", "internal/whatsapp/whatsmeow", "db", "cmd/", "internal/app", "internal/web/webtest"},
	"github.com/redis/go-redis":      {"internal/ratelimit", "internal/cluster", "internal/auth", "internal/worker", "cmd/", "internal/app", "internal/web/webtest"},
	"github.com/chromedp":            {"internal/browsertest"},
	module + "/internal/dbtest":      {"internal/factory", "internal/proctest", "internal/app/apptest", "internal/web/webtest"},
	module + "/internal/factory":     {},
	module + "/internal/proctest":    {},
	module + "/internal/browsertest": {},
	module + "/internal/web":         {"internal/web", "internal/app"},
	// The one builder: cmd and the test harnesses build the system through it.
	module + "/internal/app": {"internal/app", "cmd/", "internal/web/webtest"},
	// Only the builder assembles the worker role (apptest hands it tuning).
	module + "/internal/worker": {"internal/worker", "internal/app"},
	module + "/views":           {"views/", "internal/web"},
	module + "/static":          {"views/", "internal/web"},
}

// forbidden lists imports that packages under from must not make directly, except the packages
// in except. The web layer sees the domain services' own types, never sqlc rows, and reaches the
// simulator's "Simulate scan" through session.Service; its test harness may use both.
var forbidden = []struct {
	imp, from string
	except    []string
}{
	{module + "/internal/store", "internal/web", []string{"internal/web/webtest"}},
	{module + "/internal/whatsapp/simulator", "internal/web", []string{"internal/web/webtest"}},
}

// forbids reports whether from may not import imp under the forbidden rules.
func forbids(from, imp string) bool {
	for _, f := range forbidden {
		if !hasPrefixPath(imp, f.imp) || !hasPrefixPath(from, f.from) {
			continue
		}
		excepted := false
		for _, e := range f.except {
			excepted = excepted || hasPrefixPath(from, e)
		}
		if !excepted {
			return true
		}
	}
	return false
}

// domain packages never reach up to a transport (STYLE.md §1).
var domain = []string{"tenant", "auth", "session", "message", "delivery", "campaign", "schedule", "webhook", "media", "ratelimit", "cluster", "store", "whatsapp"}

type pkg struct {
	ImportPath string
	Imports    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"/...")
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderrOf(err))
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	require.NotEmpty(t, pkgs)
	return pkgs
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

func rel(importPath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
}

func hasPrefixPath(path, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func TestImportRules(t *testing.T) {
	t.Parallel()
	for _, p := range listPackages(t) {
		from := rel(p.ImportPath)
		for _, imp := range p.Imports {
			for restricted, who := range allowed {
				if !hasPrefixPath(imp, restricted) {
					continue
				}
				ok := false
				for _, w := range who {
					if hasPrefixPath(from, w) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("%s imports %s; only %v may (STYLE.md §0.2)", from, imp, who)
				}
			}
		}
		for _, imp := range p.Imports {
			if forbids(from, imp) {
				t.Errorf("%s imports %s: the web layer reaches data and the simulator through the domain services only", from, rel(imp))
			}
		}
		for _, d := range domain {
			if !hasPrefixPath(from, "internal/"+d) {
				continue
			}
			for _, imp := range p.Imports {
				for _, banned := range []string{module + "/internal/web", module + "/internal/worker", module + "/internal/app", module + "/views", "github.com/gofiber", "github.com/hibiken/asynq", "github.com/a-h/templ"} {
					if hasPrefixPath(imp, banned) {
						t.Errorf("domain package %s imports %s: imports flow cmd → web|worker → domain", from, imp)
					}
				}
			}
		}
	}
}

// TestImportRules_CatchesViolation proves the checker is not vacuous: a fake package that imports
// asynq from a domain package is reported.
func TestImportRules_CatchesViolation(t *testing.T) {
	t.Parallel()
	from := "internal/message"
	imp := "github.com/hibiken/asynq"
	ok := false
	for _, w := range allowed[imp] {
		if hasPrefixPath(from, w) {
			ok = true
		}
	}
	require.False(t, ok)
	require.True(t, hasPrefixPath("internal/web/portal", "internal/web"))
	require.False(t, hasPrefixPath("internal/webhook", "internal/web"), "webhook is not under web")
}

// TestImportRules_Forbidden checks the web layer's forbidden imports, and that its test harness
// stays free to use them.
func TestImportRules_Forbidden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, imp string
		want      bool
	}{
		{"internal/web", module + "/internal/store", true},
		{"internal/web/portal", module + "/internal/store", true},
		{"internal/web/admin", module + "/internal/whatsapp/simulator", true},
		{"internal/web/webtest", module + "/internal/store", false},
		{"internal/web/webtest", module + "/internal/whatsapp/simulator", false},
		{"internal/webhook", module + "/internal/store", false},
		{"internal/session", module + "/internal/store", false},
		{"internal/web/portal", module + "/internal/session", false},
		{"internal/web/portal", module + "/internal/whatsapp", false},
	} {
		require.Equal(t, tc.want, forbids(tc.from, tc.imp), "%s → %s", tc.from, tc.imp)
	}
}
