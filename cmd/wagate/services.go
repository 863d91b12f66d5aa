package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/wagate/wagate/db"
	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/config"
	"github.com/wagate/wagate/internal/mail"
	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web"
)

// newServices builds the domain services every role shares.
func newServices(cfg config.Config, pool *pgxpool.Pool, rdb *redis.Client, log *slog.Logger) (web.Services, error) {
	mailer, err := mail.New(cfg.SMTPURL, log)
	if err != nil {
		return web.Services{}, err
	}
	keys := secret.New(cfg.SecretKey)
	pw := passwords(cfg, log)
	throttle := auth.NewThrottle(rdb)
	return web.Services{
		Audit:       audit.NewLog(pool),
		Instances:   cluster.NewDirectory(pool),
		Users:       auth.NewService(pool, pw, throttle, keys, mailer, log, auth.Config{BaseURL: cfg.BaseURL.String()}),
		Operators:   auth.NewOperators(pool, pw, throttle, keys, log),
		APIKeys:     auth.NewAPIKeys(pool, log),
		Logins:      auth.NewLogins(pgxstore.New(pool), cfg.SecureCookies()),
		Tenants:     tenant.NewService(pool),
		Limiter:     ratelimit.New(rdb),
		MailEnabled: mailer.Enabled(),
	}, nil
}

func passwords(cfg config.Config, log *slog.Logger) *auth.Passwords {
	if cfg.InsecureFastPasswordHash {
		log.Warn("INSECURE_FAST_PASSWORD_HASH is on: passwords are hashed with a trivial cost; never do this in production")
		return auth.NewPasswords(auth.FastParams, 0)
	}
	return auth.NewPasswords(auth.OWASPParams, 0)
}

// adminCmd handles `wagate admin create --email E [--name N]`, reading the password from
// WAGATE_ADMIN_PASSWORD or, when that is unset, from the first line of standard input. It migrates
// first, so it works on a new database.
func adminCmd(ctx context.Context, args []string, stdin io.Reader, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError("admin: the only subcommand is create")
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the operator's email")
	name := fs.String("name", "", "the operator's name (default: the email's local part)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err.Error())
	}
	if *email == "" {
		return usageError("admin create needs --email")
	}
	cfg, err := config.Load(config.ForMigrate)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	password := os.Getenv("WAGATE_ADMIN_PASSWORD")
	if password == "" {
		fmt.Fprint(stderr, "password for the new operator: ")
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read password from standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if err := db.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	if err := db.Migrate(ctx, cfg.DatabaseURL, log); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("open postgres pool: %w", err)
	}
	defer pool.Close()
	// Creating an operator needs no throttle; its TOTP secret is sealed later, at setup.
	ops := auth.NewOperators(pool, passwords(cfg, log), nil, secret.New(cfg.SecretKey), log)
	op, err := ops.Create(ctx, *email, *name, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "operator %s created: log in at %s/admin/login and set up two-factor authentication\n", op.Email, cfg.BaseURL)
	return nil
}
