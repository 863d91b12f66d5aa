package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/wagate/wagate/db"
	"github.com/wagate/wagate/internal/app"
	"github.com/wagate/wagate/internal/config"
)

func serveCmd(parent context.Context, args []string, stderr io.Writer) error {
	roles, err := parseRoles(args)
	if err != nil {
		return err
	}
	cfg, err := config.Load(config.ForServe)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel).With("version", versionString())

	ctx, stop := signal.NotifyContext(parent, syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	if err := db.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	if err := db.Migrate(ctx, cfg.DatabaseURL, log); err != nil {
		return err
	}
	a, err := app.New(ctx, app.Options{Config: cfg, Roles: roles, Version: versionString(), Log: log})
	if err != nil {
		return err
	}
	defer a.Stop()
	if created, err := a.Services.Operators.Bootstrap(ctx, cfg.AdminEmail, cfg.AdminPassword); err != nil {
		return err
	} else if created {
		log.InfoContext(ctx, "created the first operator from ADMIN_EMAIL", "email", cfg.AdminEmail)
	}
	if err := a.Start(ctx); err != nil {
		return err
	}
	log.InfoContext(ctx, "wagate started", "roles", roles, "wa_driver", cfg.WADriver)

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-a.HTTPErr():
		runErr = fmt.Errorf("http server: %w", err)
	}
	a.Stop()
	log.Info("stopped")
	return runErr
}
