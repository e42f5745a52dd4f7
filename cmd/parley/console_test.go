package main

// The operator console driven in headless Chromium against the real binary: log in with
// the server key, work the moderation queue, ban and delete a user network-wide, register
// a webhook endpoint and replay a delivery, find a user, ban them in a channel and watch
// the member list change, remove a co-host from a live room, read the health figures. The browser is Debian's
// chromium (.ci/run installs it); without one the test skips, saying so. On failure a
// screenshot of the page is kept in a directory the log names; with
// PARLEY_TEST_SCREENSHOTS=1 every step leaves one there.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// ChromiumEnv names a Chromium binary to use instead of looking one up.
const ChromiumEnv = "PARLEY_TEST_CHROMIUM"

func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(ChromiumEnv); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skipf("no Chromium found: install Debian's chromium package (.ci/run does) or set %s to a Chromium binary", ChromiumEnv)
	return ""
}

// browser is one headless Chromium tab and what the test needs around it.
type browser struct {
	t      *testing.T
	ctx    context.Context
	shots  string // artifacts directory
	always bool   // a screenshot after every step
	n      int
	mu     sync.Mutex
	errors []string // exceptions and console errors of the page
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := findChromium(t)
	shots := os.Getenv("PARLEY_TEST_ARTIFACTS")
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "parley-console-artifacts")
	}
	shots = filepath.Join(shots, fmt.Sprintf("%s-%d", t.Name(), time.Now().Unix()))
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // root in CI containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, shots: shots, always: os.Getenv("PARLEY_TEST_SCREENSHOTS") != ""}
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Skipf("Chromium at %s does not start here: %v", exe, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// The browser logs every 4xx answer (the probes' 404s, the wrong key's
			// 401) as a network error: those are expected.
			if m.IsException() || m.Type == chromedp.ConsoleError && m.Source != "network" {
				b.mu.Lock()
				b.errors = append(b.errors, m.String())
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// step runs one part of a flow; on failure it keeps a screenshot and the page's text.
func (b *browser) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	err := chromedp.Do(ctx, actions...)
	if err != nil || b.always {
		b.screenshot(name)
	}
	if err != nil {
		tctx, tcancel := context.WithTimeout(b.ctx, 5*time.Second)
		text, _ := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("body")))
		tcancel()
		b.t.Fatalf("console step %q: %v\npage text:\n%s\nbrowser errors: %v\nscreenshots in %s", name, err, text, b.pageErrors(), b.shots)
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		b.screenshot(name + "-errors")
		b.t.Fatalf("console step %q: the page reported errors: %v (screenshots in %s)", name, errs, b.shots)
	}
}

func (b *browser) pageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

func (b *browser) screenshot(name string) {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.n++
	file := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.n, strings.NewReplacer(" ", "-", "/", "-").Replace(name)))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.t.Logf("screenshot: %s", file)
}

// waitJS polls a JavaScript condition until it holds.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond))
}

// js quotes a Go string for a JavaScript expression.
func js(s string) string { return fmt.Sprintf("%q", s) }

func TestConsoleInABrowser(t *testing.T) {
	b := newBrowser(t)
	const serverKey = "console-server-key"
	env := []string{"PARLEY_API_KEY=" + clusterAPIKey, "PARLEY_SERVER_KEY=" + serverKey, "PARLEY_DATA_DIR=" + t.TempDir()}
	if os.Getenv(storetest.DialectEnv) == "postgres" { // the PostgreSQL pass of the suite
		env = append(env, "PARLEY_DB="+storetest.Target(t, "postgres"))
	}
	n := startNode(t, "console", env)

	// The world the operator finds: a channel with two members, a live room with a co-host.
	owner := n.login(t, "owner")
	bob := n.login(t, "bob")
	n.login(t, "carol")
	if s, out := n.call(t, "PUT", "/api/v3/users", bob.token, map[string]any{"displayName": "Bob Builder"}); s != 200 {
		t.Fatalf("name bob: %d %v", s, out)
	}
	if s, out := n.call(t, "POST", "/api/v3/channels", owner.token, map[string]any{
		"channelId": "general", "type": "community", "displayName": "General", "userIds": []string{"bob", "carol"},
	}); s != 200 {
		t.Fatalf("create channel: %d %v", s, out)
	}
	s, out := n.call(t, "POST", "/api/v1/rooms", owner.token, map[string]any{"title": "Friday stream", "type": "coHosts"})
	if s != 200 {
		t.Fatalf("create room: %d %v", s, out)
	}
	roomID := out["rooms"].([]any)[0].(map[string]any)["roomId"].(string)
	s, out = n.call(t, "POST", "/api/v1/invitations", owner.token, map[string]any{"type": "livestreamCohostInvite", "targetType": "room", "targetId": roomID, "userIds": []string{"carol"}})
	if s != 200 {
		t.Fatalf("invite co-host: %d %v", s, out)
	}
	invitation := out["invitations"].([]any)[0].(map[string]any)["invitationId"].(string)
	carol := n.login(t, "carol")
	if s, out := n.call(t, "POST", "/api/v1/invitations/"+invitation+"/accept", carol.token, nil); s != 200 {
		t.Fatalf("accept co-host invitation: %d %v", s, out)
	}
	// The moderation queue's work: a flagged user (dave) and a flagged message of bob's.
	n.login(t, "dave")
	if s, out := n.call(t, "POST", "/api/v4/me/flags/dave", owner.token, map[string]any{"reason": "rude"}); s != 200 {
		t.Fatalf("flag dave: %d %v", s, out)
	}
	s, out = n.call(t, "POST", "/api/v5/messages", bob.token, textMessage(n.channelID(t, owner.token, "general"), "cheap pills here"))
	if s != 200 {
		t.Fatalf("post message: %d %v", s, out)
	}
	spam := out["messages"].([]any)[0].(map[string]any)["messageId"].(string)
	if s, out := n.call(t, "POST", "/api/v5/messages/"+spam+"/flags", carol.token, nil); s != 200 {
		t.Fatalf("flag the message: %d %v", s, out)
	}
	// A webhook receiver the console registers an endpoint for.
	var hookMu sync.Mutex
	hookIDs := []string{} // webhook-id of each request received, in order
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hookMu.Lock()
		hookIDs = append(hookIDs, r.Header.Get("webhook-id"))
		hookMu.Unlock()
	}))
	defer receiver.Close()
	received := func() []string {
		hookMu.Lock()
		defer hookMu.Unlock()
		return append([]string(nil), hookIDs...)
	}
	// waitFor polls the receiver: deliveries are asynchronous, after the commit.
	waitFor := func(what string, ok func([]string) bool) []string {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if got := received(); ok(got) {
				return got
			}
		}
		t.Fatalf("webhook receiver: %s never came; got %v", what, received())
		return nil
	}
	mint := func() string {
		t.Helper()
		req, _ := http.NewRequest("POST", n.base+"/api/v1/admin-token", nil)
		req.Header.Set("x-server-key", serverKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("admin token: %v %v", err, res)
		}
		defer res.Body.Close()
		var minted struct{ AdminToken string }
		json.NewDecoder(res.Body).Decode(&minted)
		return minted.AdminToken
	}
	admin := mint()

	// Log in with the server key: the console mints an admin token.
	b.step("login page", chromedp.Navigate(n.base+"/console"), chromedp.WaitVisible(chromedp.ID("#secret")))
	b.step("wrong key refused",
		chromedp.SendKeys(chromedp.ID("#secret"), "not-the-key"),
		clickCSS("#login button[type=submit]"),
		waitJS(`document.getElementById('login-error').textContent.includes('Invalid server key')`))
	b.step("log in",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('secret').value = ''; true`),
		chromedp.SendKeys(chromedp.ID("#secret"), serverKey),
		clickCSS("#login button[type=submit]"),
		chromedp.WaitVisible(chromedp.ID("#nav")),
		waitJS(`document.getElementById('who').textContent.startsWith('Logged in as ')`),
		waitJS(`['users', 'moderation', 'webhooks', 'push'].every((id) => !document.getElementById('nav-' + id).textContent.includes('not available'))`))

	// Push: the network's switches, one turned off and read back.
	b.step("push settings",
		clickCSS("#nav-push"),
		chromedp.WaitVisible(chromedp.ID("#push-events")),
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#push-events tbody tr')].find((tr) => tr.cells[0].textContent === 'message.created').querySelector('button').click(); true`),
		waitJS(`[...document.querySelectorAll('#push-events tbody tr')].some((tr) => tr.cells[0].textContent === 'message.created' && tr.cells[1].textContent === 'no')`))

	// The moderation queue: dave and bob's message are in it; clearing their flags takes
	// them out, on the server as on the page.
	flaggedUsers := `[...document.querySelectorAll('#flagged-users-table [data-user]')].map((e) => e.dataset.user).join(',')`
	flaggedMessages := `[...document.querySelectorAll('#flagged-messages-table [data-message]')].map((e) => e.dataset.message).join(',')`
	b.step("moderation queue",
		clickCSS("#nav-moderation"),
		waitJS(flaggedUsers+` === 'dave'`),
		waitJS(flaggedMessages+` === `+js(spam)),
		waitJS(`document.getElementById('flagged-messages-table').textContent.includes('cheap pills here')`))
	b.step("clear the message's flags",
		clickText(`#flagged-messages-table [data-message="`+spam+`"] button`, "Clear flags"),
		waitJS(flaggedMessages+` === ''`))
	if s, out := n.call(t, "GET", "/api/v5/messages/"+spam, owner.token, nil); s != 200 || out["messages"].([]any)[0].(map[string]any)["flagCount"] != 0.0 {
		t.Fatalf("the message after the console cleared its flags: %d %v", s, out)
	}
	b.step("clear dave's flags",
		clickText(`#flagged-users-table [data-user="dave"] button`, "Clear flags"),
		waitJS(flaggedUsers+` === ''`))
	if s, out := n.call(t, "GET", "/api/v3/users?filter=flagged", admin, nil); s != 200 || len(out["users"].([]any)) != 0 {
		t.Fatalf("flagged users after the console cleared dave's flags: %d %v", s, out)
	}
	b.step("audit log",
		clickCSS("#audit-link"),
		waitJS(`document.getElementById('audit-table') && ['user.flagsCleared', 'message.flagsCleared'].every((a) => document.getElementById('audit-table').textContent.includes(a))`))

	// Global ban from the users page, with its confirmation.
	banDave := `#user-actions button.danger`
	b.step("global ban dave",
		chromedp.Evaluate[chromedp.Void](`location.hash = '#/users/dave'; true`),
		waitJS(`document.getElementById('user-banned')?.textContent === 'no'`),
		clickText(banDave, "Global ban"),
		waitJS(`[...document.querySelectorAll(`+js(banDave)+`)].some((b) => b.textContent === 'Confirm: ban dave everywhere')`),
		clickText(banDave, "Confirm: ban dave everywhere"),
		waitJS(`document.getElementById('user-banned')?.textContent === 'yes'`),
		waitJS(`[...document.querySelectorAll('#user-actions button')].some((b) => b.textContent === 'Global unban')`))
	if s, out := n.call(t, "GET", "/api/v3/users/dave", admin, nil); s != 200 || out["users"].([]any)[0].(map[string]any)["isGlobalBan"] != true {
		t.Fatalf("dave after the console's global ban: %d %v", s, out)
	}
	b.step("delete dave",
		clickText(banDave, "Delete user"),
		clickText(banDave, "Confirm: delete dave"),
		waitJS(`document.getElementById('user-deleted')?.textContent === 'yes'`),
		waitJS(`![...document.querySelectorAll('#user-actions button')].some((b) => b.textContent === 'Delete user')`))
	if s, out := n.call(t, "GET", "/api/v3/users/dave", admin, nil); s != 200 || out["users"].([]any)[0].(map[string]any)["isDeleted"] != true {
		t.Fatalf("dave after the console deleted him: %d %v", s, out)
	}

	// Webhooks: register an endpoint for the receiver, see a delivery in its log, replay it.
	b.step("register a webhook endpoint",
		clickCSS("#nav-webhooks"),
		chromedp.WaitVisible(chromedp.ID("#webhook-create")),
		chromedp.SendKeys(chromedp.CSS("#webhook-create input[name=url]"), receiver.URL+"/hook"),
		chromedp.SendKeys(chromedp.CSS("#webhook-create input[name=eventTypes]"), "channel.didCreate"),
		clickCSS("#webhook-create button[type=submit]"),
		waitJS(`document.getElementById('webhooks-table')?.textContent.includes(`+js(receiver.URL+"/hook")+`)`))
	s, out = n.call(t, "GET", "/api/v1/webhooks", admin, nil)
	if s != 200 || len(out["webhooks"].([]any)) != 1 {
		t.Fatalf("webhooks after the console registered one: %d %v", s, out)
	}
	hook := out["webhooks"].([]any)[0].(map[string]any)
	if hook["url"] != receiver.URL+"/hook" || fmt.Sprint(hook["eventTypes"]) != "[channel.didCreate]" {
		t.Fatalf("the registered endpoint: %v", hook)
	}
	if s, out := n.call(t, "POST", "/api/v3/channels", owner.token, map[string]any{"channelId": "hooked", "type": "community"}); s != 200 {
		t.Fatalf("create channel: %d %v", s, out)
	}
	first := waitFor("the channel.didCreate delivery", func(ids []string) bool { return len(ids) > 0 })[0]
	deliveryRow := `#deliveries-table [data-delivery="` + first + `"]`
	b.step("delivery log",
		clickCSS(`#webhooks-table a[href="#/webhooks/`+hook["webhookId"].(string)+`"]`),
		chromedp.WaitVisible(chromedp.ID("#webhook-info")),
		// Delivered is recorded just after the receiver answers: refresh until the log says so.
		chromedp.Poll[chromedp.Void](`(() => {
			const row = document.querySelector(`+js(deliveryRow)+`)?.closest('tr');
			if (row && row.textContent.includes('channel.didCreate') && row.textContent.includes('delivered')) return true;
			if (!window.lastRefresh || Date.now() - window.lastRefresh > 300) {
				window.lastRefresh = Date.now();
				document.getElementById('deliveries-refresh')?.click();
			}
			return false;
		})()`, chromedp.WithPollingInterval(50*time.Millisecond)))
	b.step("replay the delivery",
		clickText(deliveryRow+` button`, "Replay"),
		waitJS(`document.getElementById('flash')?.textContent === 'Replay: done.'`))
	// The receiver hears the same delivery (same webhook-id) again.
	waitFor("the replayed delivery", func(ids []string) bool { return len(ids) >= 2 && ids[len(ids)-1] == first })
	secret := hook["secret"].(string)
	b.step("rotate the secret",
		waitJS(`document.getElementById('webhook-secret')?.textContent === `+js(secret)),
		clickText(`#webhook-info button`, "Rotate secret"),
		clickText(`#webhook-info button`, "Confirm: new secret (receivers must take it)"),
		waitJS(`(() => { const s = document.getElementById('webhook-secret')?.textContent; return s && s !== `+js(secret)+`; })()`))
	if s, out := n.call(t, "GET", "/api/v1/webhooks/"+hook["webhookId"].(string), admin, nil); s != 200 || out["secret"] == secret {
		t.Fatalf("the endpoint after the console rotated its secret: %d %v", s, out)
	}

	// A search's second page keeps the search: 21 users are named "Page …", 20 show per
	// page. (The keyword matches display names.)
	for i := range 21 {
		u := n.login(t, fmt.Sprintf("page-%02d", i))
		if s, out := n.call(t, "PUT", "/api/v3/users", u.token, map[string]any{"displayName": fmt.Sprintf("Page %02d", i)}); s != 200 {
			t.Fatalf("name page-%02d: %d %v", i, s, out)
		}
	}
	userLinks := `[...document.querySelectorAll('#users-table tbody a')].map((a) => a.textContent)`
	b.step("second page of a search",
		clickCSS("#nav-users"),
		chromedp.WaitVisible(chromedp.ID("#user-search")),
		chromedp.SendKeys(chromedp.CSS("#user-search input[name=keyword]"), "page "),
		clickCSS("#user-search button[type=submit]"),
		waitJS(userLinks+`.length === 20 && `+userLinks+`.every((id) => id.startsWith('page-'))`),
		clickText(`.pages button`, "Next page"),
		waitJS(userLinks+`.join(',') === 'page-00'`))

	// Find a user.
	b.step("find a user",
		clickCSS("#nav-moderation"),
		clickCSS("#nav-users"),
		chromedp.WaitVisible(chromedp.ID("#user-search")),
		chromedp.SendKeys(chromedp.CSS("#user-search input[name=keyword]"), "bob"),
		clickCSS("#user-search button[type=submit]"),
		waitJS(`(() => { const links = [...document.querySelectorAll('#users-table tbody a')].map((a) => a.textContent);
			return links.length === 1 && links[0] === 'bob'; })()`),
		clickCSS(`#users-table a[href="#/users/bob"]`),
		chromedp.WaitVisible(chromedp.ID("#user-detail")),
		waitJS(`document.getElementById('user-detail').textContent.includes('Bob Builder')`))

	// Ban bob in the channel: he leaves the member list and appears among the banned.
	memberRows := `[...document.querySelectorAll('#members-table tbody [data-user]')].map((e) => e.dataset.user).sort().join(',')`
	b.step("open the channel",
		clickCSS("#nav-channels"),
		chromedp.WaitVisible(chromedp.ID("#channel-search")),
		chromedp.SendKeys(chromedp.CSS("#channel-search input[name=keyword]"), "gene"),
		clickCSS("#channel-search button[type=submit]"),
		clickCSS(`#channels-table a[href="#/channels/general"]`),
		waitJS(memberRows+` === 'bob,carol,owner'`),
		waitJS(`document.getElementById('member-count').textContent === '3'`))
	banButton := `#members-table [data-user="bob"] button.danger`
	b.step("ban bob",
		clickCSS(banButton),
		waitJS(`document.querySelector(`+js(banButton)+`).textContent.startsWith('Confirm')`),
		clickCSS(banButton),
		waitJS(memberRows+` === 'carol,owner'`),
		waitJS(`document.getElementById('member-count').textContent === '2'`))
	b.step("bob among the banned",
		clickCSS(`.tabs [data-membership="banned"]`),
		waitJS(memberRows+` === 'bob'`))
	// The server holds the ban, not only the page.
	if got := n.members(t, owner, "general", "banned"); got != "bob" {
		t.Fatalf("banned members after the console's ban: %q", got)
	}
	b.step("unban bob",
		clickCSS(`#members-table [data-user="bob"] button`),
		waitJS(memberRows+` === ''`),
		clickCSS(`.tabs [data-membership="member"]`),
		waitJS(memberRows+` === 'carol,owner'`))
	b.step("mute carol",
		clickText(`#members-table [data-user="carol"] button`, "Mute 1 h"),
		waitJS(`document.querySelector('#members-table [data-user="carol"]')?.textContent.includes('Unmute')`),
		clickCSS(`.tabs [data-membership="muted"]`),
		waitJS(memberRows+` === 'carol'`))
	if got := n.members(t, owner, "general", "muted"); got != "carol" {
		t.Fatalf("muted members after the console's mute: %q", got)
	}
	b.step("delete the channel",
		clickText(`#channel-info button`, "Delete channel"),
		waitJS(`[...document.querySelectorAll('#channel-info button')].some((b) => b.textContent === 'Confirm: delete general')`),
		clickText(`#channel-info button`, "Confirm: delete general"),
		waitJS(`document.getElementById('channel-info').textContent.includes('Deletedyes')`))
	if s, out := n.call(t, "GET", "/api/v3/channels/general", owner.token, nil); s != 200 || out["channels"].([]any)[0].(map[string]any)["isDeleted"] != true {
		t.Fatalf("the channel after the console deleted it: %d %v", s, out)
	}

	// Remove the co-host from the live room.
	participants := `[...document.querySelectorAll('#participants-table tbody tr td:first-child')].map((e) => e.textContent).sort().join(',')`
	b.step("open the room",
		clickCSS("#nav-rooms"),
		clickCSS(`#rooms-table a[href="#/rooms/`+roomID+`"]`),
		waitJS(participants+` === 'carol,owner'`))
	b.step("remove the co-host",
		clickCSS(`#participants-table button`),
		clickCSS(`#participants-table button`),
		waitJS(participants+` === 'owner'`))

	b.step("network settings",
		clickCSS("#nav-network"),
		waitJS(`document.getElementById('chat-settings') && document.getElementById('chat-settings').textContent.length > 2`),
		waitJS(`document.querySelector('#roles-table').textContent.includes('global-admin')`))
	// Health: the first scrape shows gauges (one MQTT client is connected); the next, 5 s
	// later, the rates, which count the requests made in between.
	n.mqtt(t, bob, "console-test-bob")
	b.step("health gauges",
		clickCSS("#nav-health"),
		waitJS(`document.getElementById('readiness') && document.getElementById('readiness').textContent.startsWith('Ready')`),
		waitJS(`document.getElementById('mqtt-clients') && document.getElementById('mqtt-clients').textContent === '1'`))
	for range 25 {
		if s, out := n.call(t, "GET", "/api/v3/users/bob", owner.token, nil); s != 200 {
			t.Fatalf("get user: %d %v", s, out)
		}
	}
	// A new channel and a message: events through the outbox, so a lag to show.
	if s, out := n.call(t, "POST", "/api/v3/channels", owner.token, map[string]any{"channelId": "lobby", "type": "community"}); s != 200 {
		t.Fatalf("create channel: %d %v", s, out)
	}
	if s, out := n.call(t, "POST", "/api/v5/messages", owner.token, textMessage(n.channelID(t, owner.token, "lobby"), "hello")); s != 200 {
		t.Fatalf("post message: %d %v", s, out)
	}
	b.step("health rates",
		waitJS(`parseFloat(document.getElementById('requests-rate').textContent) > 0`),
		waitJS(`/^\d+\.\d$/.test(document.getElementById('outbox-lag').textContent)`),
		waitJS(`document.getElementById('routes-table').textContent.includes('GET /api/v3/users/{userId}')`))
	b.step("log out",
		clickCSS("#logout"),
		chromedp.WaitVisible(chromedp.ID("#secret")),
		waitJS(`sessionStorage.length === 0`))

	// An admin token minted elsewhere logs in as well.
	s, out = n.call(t, "POST", "/api/v1/admin-token", "", nil)
	if s != 401 && s != 400 {
		t.Fatalf("admin token without the server key: %d %v", s, out)
	}
	b.step("log in with an admin token",
		chromedp.SendKeys(chromedp.ID("#secret"), mint()),
		clickCSS("#login button[type=submit]"),
		chromedp.WaitVisible(chromedp.ID("#nav")),
		waitJS(`document.getElementById('who').textContent.startsWith('Logged in as ')`))
}

// members lists a channel's users of one membership, as the API answers them.
func (n *node) members(t *testing.T, a account, channelID, membership string) string {
	t.Helper()
	s, out := n.call(t, "GET", "/api/v4/channels/"+channelID+"/users?memberships[]="+membership, a.token, nil)
	if s != 200 {
		t.Fatalf("members of %s: %d %v", channelID, s, out)
	}
	var ids []string
	for _, m := range out["channelUsers"].([]any) {
		ids = append(ids, m.(map[string]any)["userId"].(string))
	}
	return strings.Join(ids, ",")
}

// clickText clicks the first element matching a CSS selector whose text is text.
// clickCSS clicks the first element the selector finds, once it exists. It clicks from
// JavaScript, not with the mouse at the element's place: a status line that appears
// above it between locating and clicking would move the element from under the mouse.
func clickCSS(selector string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => {
		const el = document.querySelector(`+js(selector)+`);
		if (el) el.click();
		return !!el;
	})()`, chromedp.WithPollingInterval(50*time.Millisecond))
}

func clickText(selector, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => {
		const el = [...document.querySelectorAll(`+js(selector)+`)].find((e) => e.textContent === `+js(text)+`);
		if (el) el.click();
		return !!el;
	})()`, chromedp.WithPollingInterval(50*time.Millisecond))
}
