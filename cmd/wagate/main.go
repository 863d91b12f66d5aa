// Command wagate is the whole gateway in one binary: `serve` runs the roles, `migrate` applies the
// schema, `version` says what was built. main only parses commands and flags; internal/app builds the
// system for the chosen roles.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/wagate/wagate/db"
	"github.com/wagate/wagate/internal/app"
	"github.com/wagate/wagate/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `wagate: a multi-tenant WhatsApp gateway

Usage:
  wagate serve [--roles http,worker,host]   run the gateway (all roles by default)
  wagate migrate                            apply database migrations and exit
  wagate admin create --email E [--name N]  add an operator (password from WAGATE_ADMIN_PASSWORD or stdin)
  wagate version                            print the version and exit

Configuration comes from environment variables; see the README.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx := context.Background()
	var err error
	switch args[0] {
	case "serve":
		err = serveCmd(ctx, args[1:], stderr)
	case "migrate":
		err = migrateCmd(ctx, stderr)
	case "admin":
		err = adminCmd(ctx, args[1:], os.Stdin, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "wagate %s (%s, %s/%s)\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "wagate: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	var cfgErr *config.Error
	var usageErr usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &cfgErr):
		fmt.Fprintln(stderr, "wagate:", cfgErr)
		return 2
	case errors.As(err, &usageErr):
		fmt.Fprintf(stderr, "wagate: %s\n\n%s", usageErr, usage)
		return 2
	default:
		fmt.Fprintln(stderr, "wagate:", err)
		return 1
	}
}

type usageError string

func (e usageError) Error() string { return string(e) }

func migrateCmd(ctx context.Context, stderr io.Writer) error {
	cfg, err := config.Load(config.ForMigrate)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	if err := db.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	return db.Migrate(ctx, cfg.DatabaseURL, log)
}

func parseRoles(args []string) ([]string, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	roles := fs.String("roles", "http,worker,host", "comma-separated roles: http, worker, host")
	if err := fs.Parse(args); err != nil {
		return nil, usageError(err.Error())
	}
	if fs.NArg() > 0 {
		return nil, usageError("unexpected argument " + fs.Arg(0))
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range strings.Split(*roles, ",") {
		r = strings.TrimSpace(r)
		switch r {
		case app.RoleHTTP, app.RoleWorker, app.RoleHost:
			if !seen[r] {
				out = append(out, r)
				seen[r] = true
			}
		case "":
		default:
			return nil, usageError(fmt.Sprintf("unknown role %q (want http, worker or host)", r))
		}
	}
	if len(out) == 0 {
		return nil, usageError("--roles names no role")
	}
	return out, nil
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

func versionString() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}
