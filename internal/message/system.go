package message

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// SystemConfig tunes a process's messaging parts.
type SystemConfig struct {
	Instance uuid.UUID
	Service  Config
	Dispatch DispatchConfig
	Sweep    SweepConfig
	// RPCWorkers is how many requests from other instances the holder serves at once (default 32).
	RPCWorkers int
	// MediaFetchers is how many inbound media downloads run at once (default 4).
	MediaFetchers int
	// MediaRetryEvery and MediaRetryAfter: how often the holder looks for inbound media left pending
	// (default 30 s), and how old it must be (default 1 min).
	MediaRetryEvery time.Duration
	MediaRetryAfter time.Duration
}

// Store is the media store as messaging uses it: files to send, and inbound files to keep.
type Store interface {
	Media
	InboundMedia
}

// System is one process's messaging parts, wired: the service every role uses, the holder side
// (Inbound, Executor, answering other instances) for the host role, and the worker side
// (Dispatcher, Sweeper) for the worker role. cmd and test harnesses build it the same way.
type System struct {
	Service    *Service
	Inbound    *Inbound
	Router     *Router
	Dispatcher *Dispatcher
	Sweeper    *Sweeper
	Pacer      *ratelimit.Pacer

	db     store.DB
	rpc    func(uuid.UUID) *cluster.RPC
	media  Store
	cfg    SystemConfig
	log    *slog.Logger
	router *Router
}

// Infra is the Redis-backed machinery messaging uses: the cluster-wide pacer, and the request/reply
// of an instance (cluster.RPCFactory).
type Infra struct {
	Pacer *ratelimit.Pacer
	RPC   func(self uuid.UUID) *cluster.RPC
}

// NewSystem builds the parts on db; enq enqueues send tasks (the worker package's Enqueuer).
func NewSystem(db store.DB, infra Infra, enq Enqueuer, media Store, cfg SystemConfig, log *slog.Logger) *System {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.RPCWorkers <= 0 {
		cfg.RPCWorkers = 32
	}
	if cfg.MediaFetchers <= 0 {
		cfg.MediaFetchers = 4
	}
	if cfg.MediaRetryEvery <= 0 {
		cfg.MediaRetryEvery = 30 * time.Second
	}
	if cfg.MediaRetryAfter <= 0 {
		cfg.MediaRetryAfter = time.Minute
	}
	pacer := infra.Pacer
	router := NewRouter(cfg.Instance, nil, infra.RPC(cfg.Instance))
	var m Media
	var im InboundMedia
	if media != nil {
		m, im = media, media
	}
	s := &System{Pacer: pacer, Router: router, router: router, db: db, rpc: infra.RPC, media: media, cfg: cfg, log: log}
	s.Service = NewService(db, Deps{Enqueuer: enq, Media: m, Router: router, Pacer: pacer}, cfg.Service, log)
	s.Inbound = NewInbound(db, im, log)
	s.Dispatcher = NewDispatcher(db, pacer, router, cfg.Dispatch, log)
	if k, ok := enq.(Kicker); ok {
		s.Dispatcher.SetKicker(k)
	}
	s.Sweeper = NewSweeper(db, enq, cfg.Sweep, log)
	return s
}

// AttachHost makes this process the holder side for the sessions host holds: sends to them run
// here, inbound media is downloaded through its drivers. Call it before RunHost and before any
// worker starts.
func (s *System) AttachHost(host HostView) {
	var m Media
	if s.media != nil {
		m = s.media
	}
	s.router.local = NewExecutor(s.db, host, m, s.cfg.Instance, s.log)
	s.Inbound.SetHost(host)
}

// RunHost answers other instances' requests for held sessions and downloads inbound media until
// ctx ends.
func (s *System) RunHost(ctx context.Context) {
	s.Inbound.RunFetchers(ctx, s.cfg.MediaFetchers, s.cfg.MediaRetryEvery, s.cfg.MediaRetryAfter)
	s.router.Serve(ctx, s.cfg.RPCWorkers)
}

// SetInstance changes the instance this process's router answers for (test harnesses run the host
// on an instance of its own, registered after the System was built).
func (s *System) SetInstance(id uuid.UUID) {
	s.cfg.Instance = id
	s.router.self = id
	s.router.rpc = s.rpc(id)
}

// RetryMessage finds a message a session sent, for a recipient whose phone could not decrypt it and
// asks again (whatsmeow's GetMessageForRetry): from Postgres, where whatsmeow alone remembers only
// its last 256 sends in memory (WHATSAPP.md §10). Unknown ids answer nil.
func (s *System) RetryMessage(ctx context.Context, ref whatsapp.SessionRef, _ whatsapp.JID, id whatsapp.MessageID) (*whatsapp.Outgoing, error) {
	row, err := store.New(s.db).MessageGetByWAID(ctx, store.MessageGetByWAIDParams{TenantID: ref.TenantID,
		SessionID: ref.ID, WaID: string(id)})
	if store.IsNotFound(err) || (err == nil && row.Direction != string(DirectionOut)) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("retry lookup: %w", err)
	}
	var m Media
	if s.media != nil {
		m = s.media
	}
	// The row's chat is the canonical JID it was sent to; no need to ask WhatsApp again.
	out, err := (&Executor{db: s.db, media: m}).build(ctx, nil, row)
	if err != nil {
		return nil, err
	}
	return &out, nil
}
