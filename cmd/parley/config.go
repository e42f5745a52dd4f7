package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/store"
)

// config is every setting of `parley serve`. Each has a flag and a PARLEY_* variable,
// parsed and checked by the same code; the flag wins when both are given.
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
	DrainDelay     time.Duration
	LogFormat      string
	AccessLog      float64
	Media          string
	LiveKitURL     string
	LiveKitKey     string
	LiveKitSecret  string
	DebugListen    string
	NATSURL        string
	CORSOrigins    []string // httpapi.ParseCORSOrigins of PARLEY_CORS_ORIGINS; nil is `*`
	// Connection limits (docs/decisions.md, "Limits").
	HTTPIdleTimeout      time.Duration
	HTTPBodyTimeout      time.Duration
	HTTPMinBodyRate      int64
	HTTPWriteTimeout     time.Duration
	MQTTConnectTimeout   time.Duration
	MQTTMaxPendingWrites int64
	MQTTMaxQueuedBytes   int64
	MQTTMaxNodeQueued    int64
	MaxConnections       int64
	Push                 pushConfig
	// Outgoing webhooks (docs/webhooks.md).
	WebhookTimeout      time.Duration
	WebhookRetryFor     time.Duration
	WebhookDisableAfter time.Duration
	WebhookMaxInFlight  int64
}

// configError is a setting refused: main answers it with exit code 2, like a bad flag.
type configError struct{ error }

// parseConfig reads the settings: each variable that is set and not empty first, then
// the flags. A value is refused the same way from either, with an error naming where it
// came from. flag.ErrHelp asks for the usage.
func parseConfig(args []string) (*config, error) {
	c := &config{}
	if err := serveSettings(c).parse(args); err != nil {
		return nil, err
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Listen
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	if err := c.Push.check(); err != nil {
		return nil, configError{err}
	}
	if c.NATSURL != "" && !store.IsPostgresURL(c.DB) {
		return nil, configError{errors.New("PARLEY_NATS_URL needs PARLEY_DB to be a postgres:// URL: the nodes of a cluster share one PostgreSQL database")}
	}
	return c, nil
}

// serveSettings declares the settings of `parley serve`, one a line, each with its
// default and checks, writing into c.
func serveSettings(c *config) *settings {
	s := newSettings("serve")
	str := func(p *string, name, env, def, help string, checks ...func(string) error) {
		s.add(&textValue{p: p, checks: checks}, name, env, def, help)
	}
	str(&c.Listen, "listen", "PARLEY_LISTEN", "127.0.0.1:8080", "HTTP address", address)
	str(&c.MQTTListen, "mqtt-listen", "PARLEY_MQTT_LISTEN", "", "plain TCP address for MQTT besides WebSocket /mqtt on the HTTP address; empty for none", optional(address))
	str(&c.DataDir, "data-dir", "PARLEY_DATA_DIR", "./data", "directory for the SQLite file, uploaded files and generated keys", nonEmpty)
	str(&c.DB, "db", "PARLEY_DB", "", "database: empty for SQLite in the data dir, a file path, or a postgres:// URL", database)
	str(&c.APIKey, "api-key", "PARLEY_API_KEY", "", "API key clients log in with; generated and kept in the data dir when empty")
	str(&c.ServerKey, "server-key", "PARLEY_SERVER_KEY", "", "server key for admin and secure-mode calls; generated when empty")
	s.add(&boolValue{p: &c.SecureMode}, "secure-mode", "PARLEY_SECURE_MODE", "false", "logins need an authToken minted with the server key")
	str(&c.PublicURL, "public-url", "PARLEY_PUBLIC_URL", "", "base URL clients reach the server at (file URLs); default http://<listen>", optional(webURL("http", "https")))
	s.add(&originsValue{p: &c.CORSOrigins}, "cors-origins", "PARLEY_CORS_ORIGINS", "*", "browser origins that may call the API and open /mqtt: * or a comma-separated list of scheme://host[:port]")
	s.add(&durationValue{p: &c.TokenTTL}, "token-ttl", "PARLEY_TOKEN_TTL", "720h", "access token lifetime")
	str(&c.SQLiteSync, "sqlite-synchronous", "PARLEY_SQLITE_SYNCHRONOUS", "FULL", "SQLite synchronous pragma: FULL survives power loss, NORMAL only process crashes", oneOf("FULL", "NORMAL", "EXTRA"))
	s.add(&sizeValue{p: &c.MaxBodyBytes}, "max-body-bytes", "PARLEY_MAX_BODY_BYTES", "1048576", "largest JSON body")
	s.add(&sizeValue{p: &c.MaxUploadBytes}, "max-upload-bytes", "PARLEY_MAX_UPLOAD_BYTES", "104857600", "largest upload request, all its files together")
	s.add(&sizeValue{p: &c.MaxFileBytes}, "max-file-bytes", "PARLEY_MAX_FILE_BYTES", "104857600", "largest single uploaded file")
	s.add(&durationValue{p: &c.ShutdownGrace}, "shutdown-grace", "PARLEY_SHUTDOWN_GRACE", "20s", "how long SIGTERM waits for in-flight requests once the listener is closed")
	s.add(&durationValue{p: &c.DrainDelay, zeroOK: true}, "drain-delay", "PARLEY_DRAIN_DELAY", "5s", "after SIGTERM, how long /readyz answers 503 while requests are still served, before the listener closes; 0 for none")
	str(&c.LogFormat, "log-format", "PARLEY_LOG_FORMAT", "text", "log format: text or json", oneOf("text", "json"))
	s.add(&sampleValue{p: &c.AccessLog}, "access-log", "PARLEY_ACCESS_LOG", "on", "access log: on, off, or the share of requests logged, like 0.1 (answers of 400 and over are always logged)")
	str(&c.Media, "media", "PARLEY_MEDIA", "", "live-room media backend: none (rooms never broadcast) or livekit; default livekit when PARLEY_LIVEKIT_URL is set, else none", optional(oneOf("none", "livekit")))
	str(&c.LiveKitURL, "livekit-url", "PARLEY_LIVEKIT_URL", "", "LiveKit server URL as broadcasters reach it (ws:// or wss://)", optional(webURL("ws", "wss", "http", "https")))
	str(&c.LiveKitKey, "livekit-api-key", "PARLEY_LIVEKIT_API_KEY", "", "LiveKit API key")
	str(&c.LiveKitSecret, "livekit-api-secret", "PARLEY_LIVEKIT_API_SECRET", "", "LiveKit API secret (signs tokens, checks webhooks)")
	s.add(&durationValue{p: &c.HTTPIdleTimeout}, "http-idle-timeout", "PARLEY_HTTP_IDLE_TIMEOUT", "60s", "how long an idle keep-alive HTTP connection is kept")
	s.add(&durationValue{p: &c.HTTPBodyTimeout}, "http-body-timeout", "PARLEY_HTTP_BODY_TIMEOUT", "30s", "time a request body may take, plus its size at the minimum rate")
	s.add(&countValue{p: &c.HTTPMinBodyRate, max: 1 << 40}, "http-min-body-rate", "PARLEY_HTTP_MIN_BODY_RATE", "10240", "slowest request body accepted, in bytes per second, after the body timeout")
	s.add(&durationValue{p: &c.HTTPWriteTimeout}, "http-write-timeout", "PARLEY_HTTP_WRITE_TIMEOUT", "30s", "time one write of a response (up to 32 KB) may take before the connection is cut")
	s.add(&durationValue{p: &c.MQTTConnectTimeout}, "mqtt-connect-timeout", "PARLEY_MQTT_CONNECT_TIMEOUT", "10s", "time a new MQTT connection has to send CONNECT")
	s.add(&countValue{p: &c.MQTTMaxPendingWrites, max: 1 << 20}, "mqtt-max-pending-writes", "PARLEY_MQTT_MAX_PENDING_WRITES", "1024", "packets queued for one MQTT client; a client that lets its queue fill is disconnected")
	s.add(&sizeValue{p: &c.MQTTMaxQueuedBytes}, "mqtt-max-queued-bytes", "PARLEY_MQTT_MAX_QUEUED_BYTES", "4194304", "bytes of messages queued for one MQTT client; a client past it is disconnected")
	s.add(&sizeValue{p: &c.MQTTMaxNodeQueued}, "mqtt-max-node-queued-bytes", "PARLEY_MQTT_MAX_NODE_QUEUED_BYTES", "268435456", "bytes of messages queued for all MQTT clients together; past it, a client with anything queued is disconnected")
	s.add(&countValue{p: &c.MaxConnections, max: 1 << 30}, "max-connections", "PARLEY_MAX_CONNECTIONS", "10000", "concurrent connections, HTTP and MQTT TCP together; more are refused")
	s.add(&durationValue{p: &c.WebhookTimeout}, "webhook-timeout", "PARLEY_WEBHOOK_TIMEOUT", "5s", "longest wait for a webhook receiver's answer")
	s.add(&durationValue{p: &c.WebhookRetryFor}, "webhook-retry-for", "PARLEY_WEBHOOK_RETRY_FOR", "25h", "how long a webhook delivery is retried after its first attempt")
	s.add(&durationValue{p: &c.WebhookDisableAfter}, "webhook-disable-after", "PARLEY_WEBHOOK_DISABLE_AFTER", "24h", "a webhook endpoint failing without a success this long is disabled")
	s.add(&countValue{p: &c.WebhookMaxInFlight, max: 1 << 20}, "webhook-max-in-flight", "PARLEY_WEBHOOK_MAX_IN_FLIGHT", "64", "webhook attempts under way at once on this node")
	str(&c.NATSURL, "nats-url", "PARLEY_NATS_URL", "", "NATS server (JetStream on) joining the nodes of a cluster, e.g. nats://127.0.0.1:4222; empty for a single node")
	str(&c.DebugListen, "debug-listen", "PARLEY_DEBUG_LISTEN", "", "address of the pprof debug listener; off when empty", optional(address))
	str(&c.Push.FCMCredentials, "push-fcm-credentials", "PARLEY_PUSH_FCM_CREDENTIALS", "", "FCM: path of the Firebase service account's JSON key; Android pushes off when empty")
	str(&c.Push.APNsKey, "push-apns-key", "PARLEY_PUSH_APNS_KEY", "", "APNs: path of the .p8 auth key; iOS pushes off when empty")
	str(&c.Push.APNsKeyID, "push-apns-key-id", "PARLEY_PUSH_APNS_KEY_ID", "", "APNs: the key's id")
	str(&c.Push.APNsTeamID, "push-apns-team-id", "PARLEY_PUSH_APNS_TEAM_ID", "", "APNs: the Apple developer team id")
	str(&c.Push.APNsTopic, "push-apns-topic", "PARLEY_PUSH_APNS_TOPIC", "", "APNs: the app's bundle id")
	s.add(&boolValue{p: &c.Push.APNsSandbox}, "push-apns-sandbox", "PARLEY_PUSH_APNS_SANDBOX", "false", "APNs: use Apple's development host")
	str(&c.Push.VAPIDPublicKey, "push-vapid-public-key", "PARLEY_PUSH_VAPID_PUBLIC_KEY", "", "Web Push: VAPID public key (URL-safe base64); browser pushes off when empty")
	str(&c.Push.VAPIDPrivateKey, "push-vapid-private-key", "PARLEY_PUSH_VAPID_PRIVATE_KEY", "", "Web Push: VAPID private key")
	str(&c.Push.VAPIDSubject, "push-vapid-subject", "PARLEY_PUSH_VAPID_SUBJECT", "", "Web Push: contact of the operator, mailto: or https: URL", optional(vapidSubject))
	str(&c.Push.WebhookURL, "push-webhook-url", "PARLEY_PUSH_WEBHOOK_URL", "", "push webhook mode: POST every push as Amity's push-notification payload to this URL instead of FCM/APNs/Web Push", optional(webURL("http", "https")))
	s.add(&durationValue{p: &c.Push.RetryFor}, "push-retry-for", "PARLEY_PUSH_RETRY_FOR", "1h", "a push failing is retried with back-off until this long after its message")
	return s
}

// settings is a flag set whose flags can also be given as PARLEY_* variables.
type settings struct {
	fs         *flag.FlagSet
	vars       []setting // in the order declared
	positional string    // what follows the flags, like "<file>"; none when empty
}

type setting struct{ flag, env, def, help string }

func newSettings(name string) *settings {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, one line; -h prints the usage itself
	return &settings{fs: fs}
}

// add declares a setting: its flag, its variable and its default, given as a user would
// write it and parsed by v.
func (s *settings) add(v flag.Value, name, env, def, help string) {
	if err := v.Set(def); err != nil {
		panic(fmt.Sprintf("default of -%s: %v", name, err))
	}
	s.fs.Var(v, name, help)
	s.vars = append(s.vars, setting{name, env, def, help})
}

// parse sets each flag from its variable, through the flag's own parser, then from the
// command line.
func (s *settings) parse(args []string) error {
	for _, v := range s.vars {
		if val := os.Getenv(v.env); val != "" {
			if err := s.fs.Set(v.flag, val); err != nil {
				return configError{fmt.Errorf("invalid value %q for %s: %v", val, v.env, err)}
			}
		}
	}
	if err := s.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			s.usage(os.Stdout) // asked for: the answer, not an error
			return err
		}
		return configError{err}
	}
	if s.fs.NArg() > 0 && s.positional == "" {
		return configError{fmt.Errorf("unexpected argument %q (settings are flags like -listen or PARLEY_* variables)", s.fs.Arg(0))}
	}
	return nil
}

// usage writes each setting: its flag, its variable, its default and what it does.
func (s *settings) usage(w io.Writer) {
	fmt.Fprintf(w, "usage: parley %s [flags] %s\n\nEach setting is a flag or an environment variable; the flag wins.\n\n", s.fs.Name(), s.positional)
	for _, v := range s.vars {
		def := ""
		if v.def != "" {
			def = " (default " + v.def + ")"
		}
		fmt.Fprintf(w, "  -%s, %s%s\n    \t%s\n", v.flag, v.env, def, v.help)
	}
}

// textValue is a string setting; checks refuse bad values.
type textValue struct {
	p      *string
	checks []func(string) error
}

func (v *textValue) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return *v.p
}

func (v *textValue) Set(s string) error {
	for _, check := range v.checks {
		if err := check(s); err != nil {
			return err
		}
	}
	*v.p = s
	return nil
}

// durationValue is a Go duration above zero (or zero, when zeroOK).
type durationValue struct {
	p      *time.Duration
	zeroOK bool
}

func (v *durationValue) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return v.p.String()
}

func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return errors.New("not a duration (like 90s, 5m or 720h)")
	case d < 0 && v.zeroOK:
		return errors.New("must not be negative")
	case d <= 0 && !v.zeroOK:
		return errors.New("must be above zero")
	}
	*v.p = d
	return nil
}

// sizeValue is a number of bytes above zero.
type sizeValue struct{ p *int64 }

func (v *sizeValue) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return strconv.FormatInt(*v.p, 10)
}

func (v *sizeValue) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("not a whole number of bytes")
	}
	if n <= 0 {
		return errors.New("must be above zero")
	}
	*v.p = n
	return nil
}

// countValue is a whole number from 1 to max.
type countValue struct {
	p   *int64
	max int64
}

func (v *countValue) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return strconv.FormatInt(*v.p, 10)
}

func (v *countValue) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("not a whole number")
	}
	if n < 1 || n > v.max {
		return fmt.Errorf("must be from 1 to %d", v.max)
	}
	*v.p = n
	return nil
}

// boolValue is true or false (1/0, t/f as Go parses them); a bare flag is true.
type boolValue struct{ p *bool }

func (v *boolValue) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return strconv.FormatBool(*v.p)
}

func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("must be true or false")
	}
	*v.p = b
	return nil
}

func (v *boolValue) IsBoolFlag() bool { return true }

// originsValue is the CORS origin list: * or comma-separated scheme://host[:port].
type originsValue struct {
	p   *[]string
	raw string
}

func (v *originsValue) String() string {
	if v == nil {
		return ""
	}
	return v.raw
}

func (v *originsValue) Set(s string) error {
	origins, err := httpapi.ParseCORSOrigins(s)
	if err != nil {
		return err
	}
	*v.p, v.raw = origins, s
	return nil
}

// sampleValue is the share of requests logged: off (0), on (1) or a number between.
type sampleValue struct{ p *float64 }

func (v *sampleValue) String() string {
	switch {
	case v == nil || v.p == nil:
		return ""
	case *v.p == 0:
		return "off"
	case *v.p == 1:
		return "on"
	}
	return strconv.FormatFloat(*v.p, 'g', -1, 64)
}

func (v *sampleValue) Set(s string) error {
	switch s {
	case "on":
		*v.p = 1
		return nil
	case "off":
		*v.p = 0
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f <= 1) { // !(…) also refuses NaN
		return errors.New("must be on, off, or a share of requests between 0 and 1 (like 0.1)")
	}
	*v.p = f
	return nil
}

// Checks of string settings.

func optional(check func(string) error) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		return check(s)
	}
}

func nonEmpty(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	return nil
}

func oneOf(allowed ...string) func(string) error {
	return func(s string) error {
		for _, a := range allowed {
			if s == a {
				return nil
			}
		}
		return errors.New("must be " + either(allowed))
	}
}

// address is a host:port to listen on; the host may be empty (every interface) and the
// port 0 (any free port).
func address(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New("not a host:port address (like 127.0.0.1:8080 or :8080)")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

// webURL is an absolute URL with one of the schemes and a host.
func webURL(schemes ...string) func(string) error {
	return func(s string) error {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || u.Opaque != "" {
			return fmt.Errorf("not a URL (like %s://host:port)", schemes[0])
		}
		for _, sc := range schemes {
			if u.Scheme == sc {
				return nil
			}
		}
		return errors.New("the scheme must be " + either(schemes))
	}
}

// uriScheme matches the scheme of a URI (RFC 3986): what a file path does not start with.
var uriScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*):`)

// database is empty, a postgres:// URL, or a SQLite file path. Any other scheme is a
// mistake (mysql://…), not the name of a file to create.
func database(s string) error {
	if store.IsPostgresURL(s) {
		if _, err := url.Parse(s); err != nil {
			return errors.New("not a PostgreSQL URL (like postgres://user@host:5432/db)")
		}
		return nil
	}
	if m := uriScheme.FindStringSubmatch(s); m != nil {
		return fmt.Errorf("unknown scheme %q: give a SQLite file path or a postgres:// URL (start a file name that has a colon with ./)", m[1])
	}
	return nil
}

// either writes "a, b or c".
func either(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
