package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/config"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/whatsapp"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
	"github.com/wagate/wagate/internal/whatsapp/whatsmeow"
)

// sessionParts are the WhatsApp side of a process: the driver's Connector (every role needs it: the
// session service wipes the keys of sessions nobody holds), the session service, and the session host
// when the host role is on.
type sessionParts struct {
	Connector whatsapp.Connector
	Service   *session.Service
	host      *session.Host
	hostDone  chan struct{}
	stopHost  context.CancelFunc
	close     func()
}

// newSessionParts chooses the connector by WA_DRIVER and, with the host role, starts the session host.
func newSessionParts(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, rdb *redis.Client, log *slog.Logger,
	instance uuid.UUID, hostRole bool, msgs *message.System) (*sessionParts, error) {
	p := &sessionParts{close: func() {}}
	hcfg := session.DefaultHostConfig()
	hcfg.Instance = instance
	hcfg.Inbound = msgs.Inbound.Handle // messages and receipts are stored before they are acked
	switch cfg.WADriver {
	case "simulator":
		opts := simulator.DefaultOptions()
		opts.Instance = instance.String()
		opts.Logger = log.With("component", "simulator")
		opts.QRFirst, opts.QRNext = cfg.SimulatorQRFirst, cfg.SimulatorQRNext // 0: the simulator's defaults
		p.Connector = simulator.NewConnector(pool, opts)
		// The simulator heartbeats every second: a link silent for 30 s is dead.
		hcfg.StaleAfter = 30 * time.Second
	default:
		wm, err := whatsmeow.NewConnector(ctx, cfg.DatabaseURL, log, whatsmeow.Options{RetryMessage: msgs.RetryMessage})
		if err != nil {
			return nil, fmt.Errorf("open whatsmeow device store: %w", err)
		}
		p.Connector = wm
		p.close = func() { _ = wm.Close() }
		// whatsmeow reports activity only on traffic, so an idle account looks silent: the watchdog
		// relies on its State and keep-alive events instead.
		hcfg.StaleAfter = 0
	}
	bus := cluster.NewPubSub(rdb)
	p.Service = session.NewService(pool, p.Connector, bus, log)
	if !hostRole {
		return p, nil
	}
	host, err := session.NewHost(pool, p.Connector, bus, hcfg, log)
	if err != nil {
		p.close()
		return nil, err
	}
	msgs.AttachHost(host)
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.host, p.stopHost, p.hostDone = host, cancel, make(chan struct{})
	go func() { defer close(p.hostDone); host.Run(hctx) }()
	go msgs.RunHost(hctx)
	return p, nil
}

// Stop disconnects every held session and releases its lease (other instances take them over at
// once), then closes the device store.
func (p *sessionParts) Stop() {
	if p.host != nil {
		p.stopHost()
		<-p.hostDone
	}
	p.close()
}
