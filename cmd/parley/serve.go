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

	"github.com/parley-chat/parley/internal/blob"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/media"
	"github.com/parley-chat/parley/internal/realtime"
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
	tuneGC(log)

	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return err
	}
	if cfg.APIKey, err = keyFromDataDir(cfg.APIKey, cfg.DataDir, "api-key", "API key"); err != nil {
		return err
	}
	if cfg.ServerKey, err = keyFromDataDir(cfg.ServerKey, cfg.DataDir, "server-key", "server key"); err != nil {
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
	backend, err := media.Open(media.Config{Backend: cfg.Media, LiveKit: media.LiveKitConfig{
		URL: cfg.LiveKitURL, APIKey: cfg.LiveKitKey, APISecret: cfg.LiveKitSecret, Logger: log,
	}})
	if err != nil {
		return err
	}
	preSend := webhook.NewPreSend(nil, nil)
	svc, err := chat.New(ctx, db, blobs, chat.Config{
		APIKey: cfg.APIKey, ServerKey: cfg.ServerKey, SecureMode: cfg.SecureMode,
		PublicURL: cfg.PublicURL, TokenTTL: cfg.TokenTTL, MaxFileBytes: cfg.MaxFileBytes, Media: backend,
		PreSend: preSend,
	})
	if err != nil {
		return err
	}
	backend.Watch(svc)

	var ready atomic.Bool
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerStoreMetrics(reg, db)
	reg.MustRegister(preSend)
	api := httpapi.New(svc, httpapi.Options{
		Config:   httpapi.Config{MaxBodyBytes: cfg.MaxBodyBytes, MaxUploadBytes: cfg.MaxUploadBytes},
		Logger:   log,
		Registry: reg,
		Ready: func(ctx context.Context) error {
			if !ready.Load() {
				return errors.New("starting or draining")
			}
			return db.Ping(ctx)
		},
	})

	// Real time: the MQTT broker on /mqtt (and PARLEY_MQTT_LISTEN), fed by the outbox relay.
	// In a cluster the broker also hears of other nodes' session revocations and role changes.
	ropt := realtime.Options{Identity: svc, Channels: svc, Rooms: svc, Logger: log, Registry: reg}
	if cfg.NATSURL != "" {
		ropt.Sessions = svc
	}
	broker, err := realtime.New(ropt)
	if err != nil {
		return err
	}
	if cfg.MQTTListen != "" {
		addr, err := broker.ListenTCP(cfg.MQTTListen)
		if err != nil {
			return fmt.Errorf("mqtt listener: %w", err)
		}
		log.Info("mqtt listening", "addr", addr.String())
	}
	if err := broker.Serve(); err != nil {
		return err
	}
	defer broker.Close()
	api.Handle("GET /mqtt", broker.Handler())
	relay := realtime.NewRelay(broker, db)
	// Webhooks: every node sends the deliveries it leases (docs/webhooks.md).
	hooks := webhook.New(svc, webhook.Options{Timeout: cfg.WebhookTimeout, RetryFor: cfg.WebhookRetryFor,
		DisableAfter: cfg.WebhookDisableAfter, MaxInFlight: cfg.WebhookMaxInFlight, Logger: log, Registry: reg})
	hooksCtx, stopHooks := context.WithCancel(context.Background())
	hooksDone := make(chan struct{})
	go func() { hooks.Run(hooksCtx); close(hooksDone) }()
	defer func() { stopHooks(); <-hooksDone }()
	svc.OnCommit(func() { relay.Wake(); hooks.Wake() })
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
		svc.OnCommit(func() { cluster.Wake(); hooks.Wake() })
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
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10e9, ErrorLog: slog.NewLogLogger(handler, slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ready.Store(true)
	log.Info("parley serving", "addr", ln.Addr().String(), "store", db.Dialect(), "dataDir", cfg.DataDir, "network", svc.NetworkID(), "secureMode", cfg.SecureMode, "cluster", cfg.NATSURL != "")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Drain: stop taking new connections, let in-flight requests finish.
	ready.Store(false)
	log.Info("draining", "grace", cfg.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// openStore opens PARLEY_DB: a postgres:// URL, a SQLite file path, or by default
// parley.db in the data dir.
func openStore(ctx context.Context, cfg *config) (*store.DB, error) {
	target := cfg.DB
	if target == "" {
		target = filepath.Join(cfg.DataDir, "parley.db")
	}
	return store.Open(ctx, target, store.Options{Synchronous: cfg.SQLiteSync})
}

// keyFromDataDir returns the configured key, or the one kept in the data dir, or a new
// one that it keeps there and prints once.
func keyFromDataDir(configured, dataDir, file, what string) (string, error) {
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
	fmt.Fprintf(os.Stderr, "parley: generated %s %s (kept in %s)\n", what, key, path)
	return key, nil
}
