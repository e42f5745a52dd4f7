package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parley-chat/parley/internal/blob"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/console"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/media"
	"github.com/parley-chat/parley/internal/realtime"
	"github.com/parley-chat/parley/internal/room"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/webhook"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

func serve(args []string) error {
	cfg, err := parseConfig(args)
	if err != nil {
		return err
	}
	var handler slog.Handler = slog.NewTextHandler(os.Stderr, nil)
	if cfg.LogFormat == "json" {
		handler = slog.NewJSONHandler(os.Stderr, nil)
	}
	log := slog.New(handler)
	slog.SetDefault(log)

	backend, err := media.Open(media.Config{Backend: cfg.Media, LiveKit: media.LiveKitConfig{
		URL: cfg.LiveKitURL, APIKey: cfg.LiveKitKey, APISecret: cfg.LiveKitSecret, Logger: log,
	}})
	if err != nil {
		return configError{err} // missing LiveKit settings: known before anything starts
	}
	tuneGC(log)

	// The data dir holds the keys and the database: the owner's alone (parley.db and its
	// WAL are created 0600 by the store, the key files here).
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	if cfg.APIKey, err = keyFromDataDir(log, cfg.APIKey, cfg.DataDir, "api-key", "API key"); err != nil {
		return err
	}
	if cfg.ServerKey, err = keyFromDataDir(log, cfg.ServerKey, cfg.DataDir, "server-key", "server key"); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	blobs, err := blob.NewDir(filepath.Join(cfg.DataDir, "files"))
	if err != nil {
		return err
	}
	preSend := webhook.NewPreSend(nil, nil)
	svc, err := chat.New(ctx, db, blobs, chat.Config{
		APIKey: cfg.APIKey, ServerKey: cfg.ServerKey, SecureMode: cfg.SecureMode,
		PublicURL: cfg.PublicURL, TokenTTL: cfg.TokenTTL, MaxFileBytes: cfg.MaxFileBytes,
		PreSend: preSend,
	})
	if err != nil {
		return err
	}
	rooms := room.New(svc, backend)
	backend.Watch(rooms)

	var ready atomic.Bool
	var limiter *connLimiter // set below, before the listeners open
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerStoreMetrics(reg, db)
	reg.MustRegister(preSend)
	api := httpapi.New(svc, httpapi.Options{
		Rooms:    rooms,
		Config:   httpapi.Config{MaxBodyBytes: cfg.MaxBodyBytes, MaxUploadBytes: cfg.MaxUploadBytes, CORSOrigins: cfg.CORSOrigins, AccessLog: cfg.AccessLog},
		Logger:   log,
		Registry: reg,
		Ready: func(ctx context.Context) error {
			if !ready.Load() {
				return errors.New("starting or draining")
			}
			return db.Ping(ctx)
		},
		ReadyDetails: func() map[string]any {
			if limiter == nil {
				return nil
			}
			return map[string]any{"connections": map[string]int64{"open": limiter.open.Load(), "max": limiter.max, "openFilesLimit": fdLimit()}}
		},
	})

	// Real time: the MQTT broker on /mqtt (and PARLEY_MQTT_LISTEN), fed by the outbox relay.
	// In a cluster the broker also hears of other nodes' session revocations and role changes.
	ropt := realtime.Options{Identity: svc, Channels: svc, Rooms: rooms, Logger: log, Registry: reg,
		ConnectTimeout: cfg.MQTTConnectTimeout, MaxPendingWrites: int(cfg.MQTTMaxPendingWrites),
		MaxQueuedBytes: cfg.MQTTMaxQueuedBytes, MaxNodeQueuedBytes: cfg.MQTTMaxNodeQueued}
	if cfg.NATSURL != "" {
		ropt.Sessions = svc
	}
	broker, err := realtime.New(ropt)
	if err != nil {
		return err
	}
	softFiles, hardFiles := raiseFDLimit()
	limiter = newConnLimiter(connectionCap(cfg.MaxConnections, log), log, reg)
	// Each connection is a descriptor: the operator learns here (and in /readyz) what the
	// node can take, not first from refused connections.
	log.Info("connection capacity", "max_connections", limiter.max, "open_files", softFiles, "open_files_hard", hardFiles)
	if cfg.MQTTListen != "" {
		ln, err := net.Listen("tcp", cfg.MQTTListen)
		if err != nil {
			return fmt.Errorf("mqtt listener: %w", err)
		}
		if err := broker.ServeTCP(limiter.listen(ln, "mqtt", false)); err != nil {
			ln.Close()
			return fmt.Errorf("mqtt listener: %w", err)
		}
		log.Info("mqtt listening", "addr", ln.Addr().String())
	}
	if err := broker.Serve(); err != nil {
		return err
	}
	defer broker.Close()
	api.Handle("GET /mqtt", broker.Handler())
	api.Handle("GET /console/", console.Handler())
	// Push: every node expands and sends the push queue (docs/push.md).
	pushWake, stopPush, err := startPush(cfg.Push, svc, log, reg)
	if err != nil {
		return err
	}
	defer stopPush()
	relay := realtime.NewRelay(broker, db)
	// Webhooks: every node sends the deliveries it leases (docs/webhooks.md).
	hooks := webhook.New(svc, webhook.Options{Timeout: cfg.WebhookTimeout, RetryFor: cfg.WebhookRetryFor,
		DisableAfter: cfg.WebhookDisableAfter, MaxInFlight: int(cfg.WebhookMaxInFlight), Logger: log, Registry: reg})
	hooksCtx, stopHooks := context.WithCancel(context.Background())
	hooksDone := make(chan struct{})
	go func() { hooks.Run(hooksCtx); close(hooksDone) }()
	defer func() { stopHooks(); <-hooksDone }()
	// The one commit hook: the relay hears of every commit with events; a sender only of
	// one that wrote its work (none at all without webhook endpoints or a push provider).
	senders := func() {
		if w, p := db.TakeWork(); w || p {
			if w {
				hooks.Wake()
			}
			if p {
				pushWake()
			}
		}
	}
	svc.OnCommit(func() { relay.Wake(); senders() })
	relayCtx, stopRelay := context.WithCancel(context.Background())
	relayDone := make(chan struct{})
	if cfg.NATSURL == "" {
		// One node: the relay delivers to this node's clients.
		go func() { relay.Run(relayCtx); close(relayDone) }()
	} else {
		// A cluster: every node delivers what the event stream carries to its clients;
		// the one node holding the relay lease feeds the stream from the outbox.
		cluster, err := realtime.JoinCluster(ctx, broker, relay, cfg.NATSURL)
		if err != nil {
			stopRelay()
			return err
		}
		defer cluster.Close()
		svc.OnSessionsRevoked(cluster.BroadcastSessions)
		svc.OnCommit(func() { cluster.Wake(); senders() })
		relay.Sink = cluster
		go func() { relay.RunLeader(relayCtx, db); close(relayDone) }()
	}
	defer func() { stopRelay(); <-relayDone }()
	if cfg.DebugListen != "" {
		startDebug(cfg.DebugListen, log)
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	// No ReadTimeout or WriteTimeout: they would bound whole requests, uploads and
	// downloads included; withDeadlines sets per-request deadlines instead (limits.go).
	srv := &http.Server{
		Handler:           withDeadlines(api, cfg.HTTPBodyTimeout, cfg.HTTPMinBodyRate, cfg.HTTPWriteTimeout),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       cfg.HTTPIdleTimeout,
		ConnState:         connState,
		ErrorLog:          slog.NewLogLogger(handler, slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(limiter.listen(ln, "http", true)) }()
	ready.Store(true)
	log.Info("parley serving", "version", versionText(), "addr", ln.Addr().String(), "store", db.Dialect(), "dataDir", cfg.DataDir, "network", svc.NetworkID(), "secureMode", cfg.SecureMode, "cluster", cfg.NATSURL != "")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal ends the process at once
	// Drain: first /readyz answers 503 while requests are still served, for the load
	// balancer to notice and send no more; then the listener closes and in-flight
	// requests get the grace period to finish.
	ready.Store(false)
	log.Info("draining", "delay", cfg.DrainDelay, "grace", cfg.ShutdownGrace)
	select {
	case <-time.After(cfg.DrainDelay):
	case err := <-errc:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// fdReserve is the file descriptors kept out of PARLEY_MAX_CONNECTIONS: the database
// (SQLite and its WAL, or the PostgreSQL pool), files being uploaded or downloaded, the
// NATS and LiveKit connections, the listeners.
const fdReserve = 256

// connectionCap is PARLEY_MAX_CONNECTIONS, lowered when the open-file limit would run out
// first: accept would then fail with EMFILE and the server stop answering, the very thing
// the cap is for.
func connectionCap(want int64, log *slog.Logger) int64 {
	n := fdLimit()
	if n <= 0 || want <= n-fdReserve {
		return want
	}
	capped := max(n-fdReserve, n/2)
	log.Warn("PARLEY_MAX_CONNECTIONS lowered to fit the open-file limit (ulimit -n)", "configured", want, "openFiles", n, "max", capped)
	return capped
}

// openStore opens PARLEY_DB: a postgres:// URL, a SQLite file path, or by default
// parley.db in the data dir.
func openStore(ctx context.Context, cfg *config) (*store.DB, error) {
	return store.Open(ctx, storeTarget(cfg), store.Options{Synchronous: cfg.SQLiteSync, NoPushJobs: cfg.Push.off(),
		SoleWriter: cfg.NATSURL == ""})
}

// storeTarget is the database PARLEY_DB names, by default parley.db in the data dir.
func storeTarget(cfg *config) string {
	if cfg.DB == "" {
		return filepath.Join(cfg.DataDir, "parley.db")
	}
	return cfg.DB
}

// keyFromDataDir returns the configured key, or the one kept in the data dir, or a new
// one that it keeps there. The log says where a new key is kept, never the key: logs are
// shipped and read more widely than the data dir. Its first characters tell keys apart.
func keyFromDataDir(log *slog.Logger, configured, dataDir, file, what string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	path := filepath.Join(dataDir, file)
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	b := make([]byte, 24)
	rand.Read(b)
	key := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", err
	}
	log.Info("generated a new "+what, "file", path, "starts", key[:4])
	return key, nil
}
