package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// clearEnv empties every PARLEY_* variable for the test: an empty variable counts as unset.
func clearEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "PARLEY_") {
			t.Setenv(name, "")
		}
	}
}

// settingCases give, for every setting, a value it takes (and what the config then
// holds) and values it refuses. Each runs as a variable and as a flag.
var settingCases = []struct {
	flag, env string
	good      string
	got       func(*config) any
	want      any
	bad       []string
}{
	{"listen", "PARLEY_LISTEN", ":9090", func(c *config) any { return c.Listen }, ":9090", []string{"8080", "localhost", "host:http", ":65536", ":-1"}},
	{"mqtt-listen", "PARLEY_MQTT_LISTEN", "127.0.0.1:1883", func(c *config) any { return c.MQTTListen }, "127.0.0.1:1883", []string{"1883", "[::1:1883"}},
	{"data-dir", "PARLEY_DATA_DIR", "/var/lib/parley", func(c *config) any { return c.DataDir }, "/var/lib/parley", nil},
	{"db", "PARLEY_DB", "postgres://u@h:5432/db?sslmode=disable", func(c *config) any { return c.DB }, "postgres://u@h:5432/db?sslmode=disable",
		[]string{"mysql://u:p@h/db", "foo:bar", "sqlite:parley.db", "file:parley.db", "POSTGRES://h/db", "postgres://h/%zz"}},
	{"db", "PARLEY_DB", "./odd:name.db", func(c *config) any { return c.DB }, "./odd:name.db", nil},
	{"db", "PARLEY_DB", "/srv/parley.db", func(c *config) any { return c.DB }, "/srv/parley.db", nil},
	{"api-key", "PARLEY_API_KEY", "k1", func(c *config) any { return c.APIKey }, "k1", nil},
	{"server-key", "PARLEY_SERVER_KEY", "s1", func(c *config) any { return c.ServerKey }, "s1", nil},
	{"secure-mode", "PARLEY_SECURE_MODE", "true", func(c *config) any { return c.SecureMode }, true, []string{"yes", "on", "2"}},
	{"secure-mode", "PARLEY_SECURE_MODE", "0", func(c *config) any { return c.SecureMode }, false, nil},
	{"public-url", "PARLEY_PUBLIC_URL", "https://chat.example.com/", func(c *config) any { return c.PublicURL }, "https://chat.example.com",
		[]string{"chat.example.com", "localhost:8080", "ftp://chat.example.com", "https://", "http://a b/"}},
	{"cors-origins", "PARLEY_CORS_ORIGINS", "https://app.example.com, http://localhost:3000", func(c *config) any { return strings.Join(c.CORSOrigins, " ") }, "https://app.example.com http://localhost:3000",
		[]string{"app.example.com", "https://app.example.com/path", "https://u@app.example.com"}},
	{"token-ttl", "PARLEY_TOKEN_TTL", "1h30m", func(c *config) any { return c.TokenTTL }, 90 * time.Minute, []string{"5days", "3600", "0s", "-1h"}},
	{"sqlite-synchronous", "PARLEY_SQLITE_SYNCHRONOUS", "NORMAL", func(c *config) any { return c.SQLiteSync }, "NORMAL", []string{"SOMETIMES", "OFF", "normal"}},
	{"max-body-bytes", "PARLEY_MAX_BODY_BYTES", "2048", func(c *config) any { return c.MaxBodyBytes }, int64(2048), []string{"0", "-5", "1MB", "1e6"}},
	{"max-upload-bytes", "PARLEY_MAX_UPLOAD_BYTES", "4096", func(c *config) any { return c.MaxUploadBytes }, int64(4096), []string{"0", "lots"}},
	{"max-file-bytes", "PARLEY_MAX_FILE_BYTES", "8192", func(c *config) any { return c.MaxFileBytes }, int64(8192), []string{"-1", "8k"}},
	{"shutdown-grace", "PARLEY_SHUTDOWN_GRACE", "3s", func(c *config) any { return c.ShutdownGrace }, 3 * time.Second, []string{"0", "soon"}},
	{"drain-delay", "PARLEY_DRAIN_DELAY", "0s", func(c *config) any { return c.DrainDelay }, time.Duration(0), []string{"-1s", "5"}},
	{"drain-delay", "PARLEY_DRAIN_DELAY", "250ms", func(c *config) any { return c.DrainDelay }, 250 * time.Millisecond, nil},
	{"log-format", "PARLEY_LOG_FORMAT", "json", func(c *config) any { return c.LogFormat }, "json", []string{"xml", "JSON"}},
	{"access-log", "PARLEY_ACCESS_LOG", "off", func(c *config) any { return c.AccessLog }, 0.0, []string{"yes", "2", "-0.1", "NaN", "10%"}},
	{"access-log", "PARLEY_ACCESS_LOG", "0.25", func(c *config) any { return c.AccessLog }, 0.25, nil},
	{"access-log", "PARLEY_ACCESS_LOG", "on", func(c *config) any { return c.AccessLog }, 1.0, nil},
	{"media", "PARLEY_MEDIA", "none", func(c *config) any { return c.Media }, "none", []string{"janus", "LiveKit"}},
	{"livekit-url", "PARLEY_LIVEKIT_URL", "wss://lk.example.com", func(c *config) any { return c.LiveKitURL }, "wss://lk.example.com", []string{"lk.example.com:7880", "ftp://lk"}},
	{"livekit-api-key", "PARLEY_LIVEKIT_API_KEY", "lk-key", func(c *config) any { return c.LiveKitKey }, "lk-key", nil},
	{"livekit-api-secret", "PARLEY_LIVEKIT_API_SECRET", "lk-secret", func(c *config) any { return c.LiveKitSecret }, "lk-secret", nil},
	{"http-idle-timeout", "PARLEY_HTTP_IDLE_TIMEOUT", "2m", func(c *config) any { return c.HTTPIdleTimeout }, 2 * time.Minute, []string{"0", "60"}},
	{"http-body-timeout", "PARLEY_HTTP_BODY_TIMEOUT", "5s", func(c *config) any { return c.HTTPBodyTimeout }, 5 * time.Second, []string{"-5s", "forever"}},
	{"http-min-body-rate", "PARLEY_HTTP_MIN_BODY_RATE", "2048", func(c *config) any { return c.HTTPMinBodyRate }, int64(2048), []string{"0", "2k", "-1"}},
	{"http-write-timeout", "PARLEY_HTTP_WRITE_TIMEOUT", "1m", func(c *config) any { return c.HTTPWriteTimeout }, time.Minute, []string{"0s", "1"}},
	{"mqtt-connect-timeout", "PARLEY_MQTT_CONNECT_TIMEOUT", "3s", func(c *config) any { return c.MQTTConnectTimeout }, 3 * time.Second, []string{"0", "soon"}},
	{"mqtt-max-pending-writes", "PARLEY_MQTT_MAX_PENDING_WRITES", "64", func(c *config) any { return c.MQTTMaxPendingWrites }, int64(64), []string{"0", "1048577", "lots"}},
	{"mqtt-max-queued-bytes", "PARLEY_MQTT_MAX_QUEUED_BYTES", "65536", func(c *config) any { return c.MQTTMaxQueuedBytes }, int64(65536), []string{"0", "-1", "lots"}},
	{"mqtt-max-node-queued-bytes", "PARLEY_MQTT_MAX_NODE_QUEUED_BYTES", "1048576", func(c *config) any { return c.MQTTMaxNodeQueued }, int64(1048576), []string{"0", "-1", "lots"}},
	{"max-connections", "PARLEY_MAX_CONNECTIONS", "500", func(c *config) any { return c.MaxConnections }, int64(500), []string{"0", "-1", "10k"}},
	{"webhook-timeout", "PARLEY_WEBHOOK_TIMEOUT", "1500ms", func(c *config) any { return c.WebhookTimeout }, 1500 * time.Millisecond, []string{"0", "5"}},
	{"webhook-retry-for", "PARLEY_WEBHOOK_RETRY_FOR", "48h", func(c *config) any { return c.WebhookRetryFor }, 48 * time.Hour, []string{"-1h", "a day"}},
	{"webhook-disable-after", "PARLEY_WEBHOOK_DISABLE_AFTER", "2h", func(c *config) any { return c.WebhookDisableAfter }, 2 * time.Hour, []string{"0s", "2"}},
	{"webhook-max-in-flight", "PARLEY_WEBHOOK_MAX_IN_FLIGHT", "8", func(c *config) any { return c.WebhookMaxInFlight }, int64(8), []string{"0", "1048577", "many"}},
	{"nats-url", "PARLEY_NATS_URL", "nats://127.0.0.1:4222", func(c *config) any { return c.NATSURL }, "nats://127.0.0.1:4222", nil},
	{"debug-listen", "PARLEY_DEBUG_LISTEN", "127.0.0.1:6060", func(c *config) any { return c.DebugListen }, "127.0.0.1:6060", []string{"6060"}},
	{"push-fcm-credentials", "PARLEY_PUSH_FCM_CREDENTIALS", "/etc/parley/fcm.json", func(c *config) any { return c.Push.FCMCredentials }, "/etc/parley/fcm.json", nil},
	{"push-apns-key", "PARLEY_PUSH_APNS_KEY", "/etc/parley/AuthKey.p8", func(c *config) any { return c.Push.APNsKey }, "/etc/parley/AuthKey.p8", nil},
	{"push-apns-key-id", "PARLEY_PUSH_APNS_KEY_ID", "ABC123DEFG", func(c *config) any { return c.Push.APNsKeyID }, "ABC123DEFG", nil},
	{"push-apns-team-id", "PARLEY_PUSH_APNS_TEAM_ID", "TEAM456789", func(c *config) any { return c.Push.APNsTeamID }, "TEAM456789", nil},
	{"push-apns-topic", "PARLEY_PUSH_APNS_TOPIC", "com.example.app", func(c *config) any { return c.Push.APNsTopic }, "com.example.app", nil},
	{"push-apns-sandbox", "PARLEY_PUSH_APNS_SANDBOX", "true", func(c *config) any { return c.Push.APNsSandbox }, true, []string{"yes"}},
	{"push-vapid-public-key", "PARLEY_PUSH_VAPID_PUBLIC_KEY", "BPub", func(c *config) any { return c.Push.VAPIDPublicKey }, "BPub", nil},
	{"push-vapid-private-key", "PARLEY_PUSH_VAPID_PRIVATE_KEY", "priv", func(c *config) any { return c.Push.VAPIDPrivateKey }, "priv", nil},
	{"push-vapid-subject", "PARLEY_PUSH_VAPID_SUBJECT", "mailto:ops@example.com", func(c *config) any { return c.Push.VAPIDSubject }, "mailto:ops@example.com", []string{"ops@example.com", "http://example.com", "mailto:"}},
	{"push-vapid-subject", "PARLEY_PUSH_VAPID_SUBJECT", "https://example.com/contact", func(c *config) any { return c.Push.VAPIDSubject }, "https://example.com/contact", nil},
	{"push-webhook-url", "PARLEY_PUSH_WEBHOOK_URL", "https://ops.example.com/push", func(c *config) any { return c.Push.WebhookURL }, "https://ops.example.com/push", []string{"ops.example.com/push", "ftp://x"}},
	{"push-retry-for", "PARLEY_PUSH_RETRY_FOR", "30m", func(c *config) any { return c.Push.RetryFor }, 30 * time.Minute, []string{"0", "soon"}},
}

// companions are the flags a setting needs beside it: the other settings of its
// provider (they go together).
func companions(flag string) []string {
	groups := [][]string{
		{"-push-apns-key=/k.p8", "-push-apns-key-id=K", "-push-apns-team-id=T", "-push-apns-topic=com.example"},
		{"-push-vapid-public-key=P", "-push-vapid-private-key=Q", "-push-vapid-subject=mailto:a@b.c"},
	}
	for _, g := range groups {
		var out []string
		in := false
		for _, f := range g {
			if strings.HasPrefix(f, "-"+flag+"=") {
				in = true
			} else {
				out = append(out, f)
			}
		}
		if in {
			return out
		}
	}
	return []string{}
}

func TestPushProvidersGoTogether(t *testing.T) {
	for _, args := range [][]string{{"-push-apns-key=/k.p8"}, {"-push-apns-topic=com.example", "-push-apns-key-id=K"}, {"-push-vapid-public-key=P"}} {
		clearEnv(t)
		var bad configError
		if _, err := parseConfig(args); !errors.As(err, &bad) || !strings.Contains(err.Error(), "go together") {
			t.Errorf("%q: want refused, got %v", args, err)
		}
	}
}

func TestEverySettingParsesTheSameAsVariableAndFlag(t *testing.T) {
	for _, tc := range settingCases {
		t.Run(tc.flag+"="+tc.good, func(t *testing.T) {
			extra := companions(tc.flag)
			if tc.flag == "nats-url" { // a cluster needs PostgreSQL
				extra = []string{"-db", "postgres://h/db"}
			}
			clearEnv(t)
			t.Setenv(tc.env, tc.good)
			c, err := parseConfig(extra)
			if err != nil {
				t.Fatalf("%s=%s refused: %v", tc.env, tc.good, err)
			}
			if got := tc.got(c); got != tc.want {
				t.Fatalf("%s=%s gives %v, want %v", tc.env, tc.good, got, tc.want)
			}
			clearEnv(t)
			c, err = parseConfig(append(extra, "-"+tc.flag+"="+tc.good))
			if err != nil {
				t.Fatalf("-%s=%s refused: %v", tc.flag, tc.good, err)
			}
			if got := tc.got(c); got != tc.want {
				t.Fatalf("-%s=%s gives %v, want %v", tc.flag, tc.good, got, tc.want)
			}
			for _, bad := range tc.bad {
				clearEnv(t)
				t.Setenv(tc.env, bad)
				_, err := parseConfig(nil)
				wantRefused(t, err, tc.env, bad)
				clearEnv(t)
				_, err = parseConfig([]string{"-" + tc.flag + "=" + bad})
				wantRefused(t, err, "-"+tc.flag, bad)
			}
		})
	}
}

// wantRefused checks that err is a configuration error of one line naming the setting.
func wantRefused(t *testing.T, err error, name, value string) {
	t.Helper()
	var bad configError
	if !errors.As(err, &bad) {
		t.Errorf("%s=%q: want a configuration error, got %v", name, value, err)
		return
	}
	if msg := err.Error(); !strings.Contains(msg, name+":") && !strings.Contains(msg, name+" ") || strings.Contains(msg, "\n") {
		t.Errorf("%s=%q: the error must be one line naming %s: %q", name, value, name, msg)
	}
}

func TestEverySettingHasACase(t *testing.T) {
	tested := map[string]bool{}
	for _, tc := range settingCases {
		tested[tc.flag] = true
	}
	for _, s := range serveSettings(&config{}).vars {
		if !tested[s.flag] {
			t.Errorf("-%s (%s) has no case in settingCases", s.flag, s.env)
		}
		if want := "PARLEY_" + strings.ToUpper(strings.ReplaceAll(s.flag, "-", "_")); s.env != want {
			t.Errorf("-%s is read from %s; the variable of a flag is named %s", s.flag, s.env, want)
		}
	}
}

func TestDefaults(t *testing.T) {
	clearEnv(t)
	c, err := parseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		Listen: "127.0.0.1:8080", DataDir: "./data", PublicURL: "http://127.0.0.1:8080", SQLiteSync: "FULL",
		TokenTTL: 720 * time.Hour, MaxBodyBytes: 1 << 20, MaxUploadBytes: 100 << 20, MaxFileBytes: 100 << 20,
		ShutdownGrace: 20 * time.Second, DrainDelay: 5 * time.Second, LogFormat: "text", AccessLog: 1,
		CORSOrigins: []string{"*"}, HTTPIdleTimeout: time.Minute, HTTPBodyTimeout: 30 * time.Second, HTTPMinBodyRate: 10240,
		HTTPWriteTimeout: 30 * time.Second, MQTTConnectTimeout: 10 * time.Second, MQTTMaxPendingWrites: 1024, MQTTMaxQueuedBytes: 4 << 20, MQTTMaxNodeQueued: 256 << 20, MaxConnections: 10000,
		Push:           pushConfig{RetryFor: time.Hour},
		WebhookTimeout: 5 * time.Second, WebhookRetryFor: 25 * time.Hour, WebhookDisableAfter: 24 * time.Hour, WebhookMaxInFlight: 64,
	}
	if !reflect.DeepEqual(*c, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", *c, want)
	}
}

func TestFlagWinsOverVariable(t *testing.T) {
	clearEnv(t)
	t.Setenv("PARLEY_LOG_FORMAT", "json")
	t.Setenv("PARLEY_SECURE_MODE", "true")
	c, err := parseConfig([]string{"-log-format", "text", "-secure-mode=false"})
	if err != nil {
		t.Fatal(err)
	}
	if c.LogFormat != "text" || c.SecureMode {
		t.Fatalf("flags did not win: %+v", c)
	}
	// A bad variable is a mistake even when a flag overrides it.
	t.Setenv("PARLEY_SECURE_MODE", "yes")
	_, err = parseConfig([]string{"-secure-mode=false"})
	wantRefused(t, err, "PARLEY_SECURE_MODE", "yes")
}

func TestNATSNeedsPostgres(t *testing.T) {
	clearEnv(t)
	t.Setenv("PARLEY_NATS_URL", "nats://127.0.0.1:4222")
	_, err := parseConfig(nil)
	wantRefused(t, err, "PARLEY_NATS_URL", "")
}

func TestUnexpectedArgumentsAreRefused(t *testing.T) {
	clearEnv(t)
	var bad configError
	for _, args := range [][]string{{"extra"}, {"-no-such-flag"}, {"-listen"}} {
		if _, err := parseConfig(args); !errors.As(err, &bad) {
			t.Errorf("%q: want a configuration error, got %v", args, err)
		}
	}
}

// TestREADMEDocumentsEverySetting keeps the configuration table true: each setting has
// a row naming its variable, its flag and its default.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range serveSettings(&config{}).vars {
		row := regexp.MustCompile("(?m)^\\| `" + s.env + "` \\| `-" + regexp.QuoteMeta(s.flag) + "` \\| ([^|]*) \\|").FindSubmatch(readme)
		if row == nil {
			t.Errorf("README's configuration table has no row for %s / -%s", s.env, s.flag)
			continue
		}
		if s.def != "" && !strings.Contains(string(row[1]), fmt.Sprintf("`%s`", s.def)) {
			t.Errorf("README gives %s the default %s; it is %s", s.env, strings.TrimSpace(string(row[1])), s.def)
		}
	}
}
