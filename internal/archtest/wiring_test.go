package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// harnesses are test-only packages (and the simulator, the stand-in for WhatsApp): they may read
// their own environment variables and have test hooks.
var harnesses = []string{"internal/dbtest", "internal/proctest", "internal/browsertest", "internal/factory",
	"internal/web/webtest", "internal/app/apptest", "internal/bench", "internal/e2e", "internal/archtest",
	"internal/whatsapp/simulator", "internal/whatsapp/drivertest"}

// runtimeSetters are Set* methods that change behaviour at run time, not wiring: each is called by
// an operator's action, never to finish building an object.
var runtimeSetters = map[string]bool{
	"whatsmeow.Driver.SetLogLevel": true, // a session's log level, raised on demand
}

// productionFiles parses every non-test Go file of the module outside the harnesses and generated
// code, relative to the module root.
func productionFiles(t *testing.T) map[string]*ast.File {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			for _, h := range harnesses {
				if rel == h {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || strings.HasSuffix(rel, "_templ.go") ||
			strings.HasPrefix(rel, "internal/store/") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files[rel] = f
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// wiringSetters lists methods named Set…/Attach… that take no context.Context first: methods that
// finish wiring an object after its constructor (SetKicker, AttachHost …). Dependencies go to
// constructors; a domain operation named Set… takes a context.
func wiringSetters(files map[string]*ast.File) []string {
	var out []string
	for rel, f := range files {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) == 0 {
				continue
			}
			name := fn.Name.Name
			if !strings.HasPrefix(name, "Set") && !strings.HasPrefix(name, "Attach") {
				continue
			}
			params := fn.Type.Params.List
			if len(params) > 0 {
				if sel, ok := params[0].Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Context" {
					continue
				}
			}
			key := f.Name.Name + "." + recvName(fn.Recv.List[0].Type) + "." + name
			if runtimeSetters[key] {
				continue
			}
			out = append(out, rel+": "+key)
		}
	}
	return out
}

func recvName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return recvName(x.X)
	case *ast.Ident:
		return x.Name
	case *ast.IndexExpr:
		return recvName(x.X)
	}
	return "?"
}

// envReads lists calls of os.Getenv, os.LookupEnv and os.Environ outside internal/config.
func envReads(files map[string]*ast.File) []string {
	var out []string
	for rel, f := range files {
		if strings.HasPrefix(rel, "internal/config/") {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "os" &&
				(sel.Sel.Name == "Getenv" || sel.Sel.Name == "LookupEnv" || sel.Sel.Name == "Environ") {
				out = append(out, rel+": os."+sel.Sel.Name)
			}
			return true
		})
	}
	return out
}

// TestNoWiringSetters: every dependency is passed to a constructor; nothing is tied together after
// construction by setters (the old SetKicker, SetHost, AttachHost, SetInstance).
func TestNoWiringSetters(t *testing.T) {
	t.Parallel()
	require.Empty(t, wiringSetters(productionFiles(t)))
}

// TestConfigFromOnePlace: production code reads no environment outside internal/config (test
// harnesses may read their own variables).
func TestConfigFromOnePlace(t *testing.T) {
	t.Parallel()
	require.Empty(t, envReads(productionFiles(t)))
}

// TestWiringChecks_CatchViolations proves both checks can fail.
func TestWiringChecks_CatchViolations(t *testing.T) {
	t.Parallel()
	src := `package message
import ("context"; "os")
type Dispatcher struct{}
func (d *Dispatcher) SetKicker(k any) {}
func (d *Dispatcher) AttachHost(h any) {}
func (d *Dispatcher) SetStatus(ctx context.Context, s string) error { return nil }
func grace() string { return os.Getenv("WAGATE_SWEEP_GRACE") }
`
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, parser.SkipObjectResolution)
	require.NoError(t, err)
	files := map[string]*ast.File{"internal/message/x.go": f}
	require.ElementsMatch(t, []string{"internal/message/x.go: message.Dispatcher.SetKicker",
		"internal/message/x.go: message.Dispatcher.AttachHost"}, wiringSetters(files))
	require.Equal(t, []string{"internal/message/x.go: os.Getenv"}, envReads(files))
}
