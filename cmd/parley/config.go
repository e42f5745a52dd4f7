package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is every setting of `parley serve`. Each has a flag and a PARLEY_* variable;
// the flag wins when both are given.
type config struct {
	Listen         string
	MQTTListen     string
	DataDir        string
	DB             string
	APIKey         string
	ServerKey      string
	SecureMode     bool
	PublicURL      string
	SQLiteSync     string
	TokenTTL       time.Duration
	MaxBodyBytes   int64
	MaxUploadBytes int64
	MaxFileBytes   int64
	ShutdownGrace  time.Duration
	LogFormat      string
	Media          string
	LiveKitURL     string
	LiveKitKey     string
	LiveKitSecret  string
	DebugListen    string
	NATSURL        string

	WebhookTimeout      time.Duration
	WebhookRetryFor     time.Duration
	WebhookDisableAfter time.Duration
	WebhookMaxInFlight  int
}

func parseConfig(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	str := func(p *string, name, env, def, help string) {
		fs.StringVar(p, name, envOr(env, def), help+" ("+env+")")
	}
	str(&c.Listen, "listen", "PARLEY_LISTEN", "127.0.0.1:8080", "HTTP address")
	str(&c.MQTTListen, "mqtt-listen", "PARLEY_MQTT_LISTEN", "", "plain TCP address for MQTT besides WebSocket /mqtt on the HTTP address; empty for none")
	str(&c.DataDir, "data-dir", "PARLEY_DATA_DIR", "./data", "directory for the SQLite file, uploaded files and generated keys")
	str(&c.DB, "db", "PARLEY_DB", "", "database: empty for SQLite in the data dir, a file path, or a postgres:// URL")
	str(&c.APIKey, "api-key", "PARLEY_API_KEY", "", "API key clients log in with; generated and kept in the data dir when empty")
	str(&c.ServerKey, "server-key", "PARLEY_SERVER_KEY", "", "server key for admin and secure-mode calls; generated when empty")
	str(&c.PublicURL, "public-url", "PARLEY_PUBLIC_URL", "", "base URL clients reach the server at (file URLs); default http://<listen>")
	str(&c.SQLiteSync, "sqlite-synchronous", "PARLEY_SQLITE_SYNCHRONOUS", "FULL", "SQLite synchronous pragma: FULL survives power loss, NORMAL only process crashes")
	str(&c.Media, "media", "PARLEY_MEDIA", "", "live-room media backend: none (rooms never broadcast) or livekit; default livekit when PARLEY_LIVEKIT_URL is set, else none")
	str(&c.LiveKitURL, "livekit-url", "PARLEY_LIVEKIT_URL", "", "LiveKit server URL as broadcasters reach it (ws:// or wss://)")
	str(&c.LiveKitKey, "livekit-api-key", "PARLEY_LIVEKIT_API_KEY", "", "LiveKit API key")
	str(&c.LiveKitSecret, "livekit-api-secret", "PARLEY_LIVEKIT_API_SECRET", "", "LiveKit API secret (signs tokens, checks webhooks)")
	str(&c.LogFormat, "log-format", "PARLEY_LOG_FORMAT", "text", "log format: text or json")
	str(&c.NATSURL, "nats-url", "PARLEY_NATS_URL", "", "NATS server (JetStream on) joining the nodes of a cluster, e.g. nats://127.0.0.1:4222; empty for a single node")
	str(&c.DebugListen, "debug-listen", "PARLEY_DEBUG_LISTEN", "", "address of the pprof debug listener; off when empty")
	fs.BoolVar(&c.SecureMode, "secure-mode", envBool("PARLEY_SECURE_MODE"), "logins need an authToken minted with the server key (PARLEY_SECURE_MODE)")
	fs.DurationVar(&c.TokenTTL, "token-ttl", envDuration("PARLEY_TOKEN_TTL", 30*24*time.Hour), "access token lifetime (PARLEY_TOKEN_TTL)")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", envDuration("PARLEY_SHUTDOWN_GRACE", 20*time.Second), "how long SIGTERM waits for in-flight requests (PARLEY_SHUTDOWN_GRACE)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", envInt("PARLEY_MAX_BODY_BYTES", 1<<20), "largest JSON body (PARLEY_MAX_BODY_BYTES)")
	fs.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", envInt("PARLEY_MAX_UPLOAD_BYTES", 100<<20), "largest upload request, all its files together (PARLEY_MAX_UPLOAD_BYTES)")
	fs.Int64Var(&c.MaxFileBytes, "max-file-bytes", envInt("PARLEY_MAX_FILE_BYTES", 100<<20), "largest single uploaded file (PARLEY_MAX_FILE_BYTES)")
	fs.DurationVar(&c.WebhookTimeout, "webhook-timeout", envDuration("PARLEY_WEBHOOK_TIMEOUT", 5*time.Second), "longest wait for a webhook receiver's answer (PARLEY_WEBHOOK_TIMEOUT)")
	fs.DurationVar(&c.WebhookRetryFor, "webhook-retry-for", envDuration("PARLEY_WEBHOOK_RETRY_FOR", 25*time.Hour), "how long a webhook delivery is retried after its first attempt (PARLEY_WEBHOOK_RETRY_FOR)")
	fs.DurationVar(&c.WebhookDisableAfter, "webhook-disable-after", envDuration("PARLEY_WEBHOOK_DISABLE_AFTER", 24*time.Hour), "a webhook endpoint failing without a success this long is disabled (PARLEY_WEBHOOK_DISABLE_AFTER)")
	webhookInFlight := fs.Int64("webhook-max-in-flight", envInt("PARLEY_WEBHOOK_MAX_IN_FLIGHT", 64), "webhook attempts under way at once on this node (PARLEY_WEBHOOK_MAX_IN_FLIGHT)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	c.WebhookMaxInFlight = int(*webhookInFlight)
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Listen
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	switch c.SQLiteSync {
	case "FULL", "NORMAL", "EXTRA":
	default:
		return nil, fmt.Errorf("PARLEY_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA")
	}
	if c.NATSURL != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		return nil, fmt.Errorf("PARLEY_NATS_URL needs PARLEY_DB to be a postgres:// URL: the nodes of a cluster share one PostgreSQL database")
	}
	return c, nil
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

func envInt(name string, def int64) int64 {
	if n, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return n
	}
	return def
}
