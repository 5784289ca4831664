package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/nimbuscloud/nimbus/internal/app"
	"github.com/nimbuscloud/nimbus/internal/config"
)

func runServer(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	cfg, err := config.LoadServer(args, env, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	srv, err := app.NewServer(ctx, cfg, log, stdout)
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}

func newLogger(cfg config.Server, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
