package httpapi_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

var hex24 = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestCreateChannel(t *testing.T) {
	e := newEnv(t)
	alice, a := e.user("alice")
	_, b := e.user("bob")
	e.user("carol")
	r := e.do(req{method: "POST", path: "/api/v3/channels", token: alice, body: map[string]any{
		"channelId": "general", "displayName": "General", "tags": []string{"x", "y"}, "metadata": map[string]any{"k": 1},
		"userIds": []string{"bob", "carol", "alice", "bob"}}}).ok().JSON()
	for _, key := range []string{"channels", "channelUsers", "messagePreviews", "messageFeedsInfo", "users", "files"} {
		if _, ok := r[key].([]any); !ok {
			t.Fatalf("%s is not an array: %v", key, r[key])
		}
	}
	ch := r["channels"].([]any)[0].(map[string]any)
	if !hex24.MatchString(internalID(ch)) || ch["channelInternalId"] != ch["_id"] || ch["channelId"] != "general" || ch["channelPublicId"] != "general" {
		t.Fatalf("ids: %v", ch)
	}
	if ch["path"] != strings.Split(a["path"].(string), "/")[0]+"/chat/"+internalID(ch) {
		t.Fatalf("path %v", ch["path"])
	}
	if ch["type"] != "community" || ch["memberCount"] != 3.0 || ch["moderatorMemberCount"] != 1.0 || ch["isPublic"] != true {
		t.Fatalf("channel: %v", ch)
	}
	// channelUsers holds the caller's own membership: a moderator, with its permissions.
	cus := r["channelUsers"].([]any)
	own := cus[0].(map[string]any)
	if len(cus) != 1 || own["userId"] != "alice" || own["membership"] != "member" || own["userInternalId"] != a.id() ||
		!slices.Contains(toStrings(own["roles"]), "channel-moderator") || !slices.Contains(toStrings(own["permissions"]), "BAN_USER_FROM_CHANNEL") {
		t.Fatalf("own membership: %v", cus)
	}
	if users := r["users"].([]any); len(users) != 1 || users[0].(map[string]any)["userId"] != "alice" {
		t.Fatalf("users: %v", users)
	}
	if n := e.rowsIn(internalID(ch), "member"); n != 3 {
		t.Fatalf("member rows %d", n)
	}
	// Every initial member hears channel.created on their own topics.
	if e.events("channel.created", internalID(ch), b.id()) != 1 {
		t.Fatal("channel.created not addressed to bob")
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestCreateChannelDefaultsAndOptions(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.user("alice")
	ch := e.createChannel(alice, map[string]any{})
	if ch["channelId"] != ch["_id"] || ch["type"] != "community" || ch["notificationMode"] != "default" || ch["isMuted"] != false || ch["muteTimeout"] != nil {
		t.Fatalf("defaults: %v", ch)
	}
	live := e.createChannel(alice, map[string]any{"type": "live", "isMuted": true, "autoDeleteMessageByFlagLimit": 5,
		"messageAutoDeleteEnabled": true, "notificationMode": "silent", "videoStreamId": "v1", "postId": "p1"})
	if live["isPublic"] != false || live["isMuted"] != true || live["muteTimeout"] == nil || live["autoDeleteMessageByFlagLimit"] != 5.0 ||
		live["attachedTo"].(map[string]any)["postId"] != "p1" || live["notificationMode"] != "silent" {
		t.Fatalf("options: %v", live)
	}
	// The server-to-server admin token can create channels too.
	admin := e.adminToken()
	e.createChannel(admin, map[string]any{"channelId": "by-admin", "type": "broadcast", "userIds": []string{"alice"}})
}

func TestCreateChannelRefusals(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.user("alice")
	e.user("bob")
	e.createChannel(alice, map[string]any{"channelId": "taken"})
	long := func(n int) string { return strings.Repeat("x", n) }
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "bob"
		}
		return out
	}
	cases := []struct {
		name   string
		body   any
		status int
		code   int
	}{
		{"channelId too long", map[string]any{"channelId": long(101)}, 400, 400000},
		{"channelId empty", map[string]any{"channelId": ""}, 400, 400000},
		{"channelId wrong type", map[string]any{"channelId": 5}, 400, 400000},
		{"type conversation", map[string]any{"type": "conversation"}, 400, 400000},
		{"type unknown", map[string]any{"type": "secret"}, 400, 400000},
		{"displayName too long", map[string]any{"displayName": long(101)}, 400, 400000},
		{"avatarFileId too long", map[string]any{"avatarFileId": long(51)}, 400, 400000},
		{"metadata array", map[string]any{"metadata": []int{1}}, 400, 400000},
		{"metadata string", map[string]any{"metadata": "x"}, 400, 400000},
		{"eleven tags", map[string]any{"tags": []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}}, 400, 400000},
		{"tag too long", map[string]any{"tags": []string{long(101)}}, 400, 400000},
		{"tags not strings", map[string]any{"tags": []int{1}}, 400, 400000},
		{"1001 userIds", map[string]any{"userIds": many(1001)}, 400, 400000},
		{"userId too long", map[string]any{"userIds": []string{long(51)}}, 400, 400000},
		{"userId empty", map[string]any{"userIds": []string{""}}, 400, 400000},
		{"userIds not a list", map[string]any{"userIds": "bob"}, 400, 400000},
		{"flag limit 0", map[string]any{"autoDeleteMessageByFlagLimit": 0}, 400, 400000},
		{"flag limit 1001", map[string]any{"autoDeleteMessageByFlagLimit": 1001}, 400, 400000},
		{"flag limit fraction", map[string]any{"autoDeleteMessageByFlagLimit": 1.5}, 400, 400000},
		{"flag limit huge", `{"autoDeleteMessageByFlagLimit": 1e400}`, 400, 400000},
		{"notificationMode unknown", map[string]any{"notificationMode": "loud"}, 400, 400000},
		{"isPublic not boolean", map[string]any{"isPublic": "yes"}, 400, 400000},
		{"videoStreamId without postId", map[string]any{"videoStreamId": "v"}, 400, 400000},
		{"postId without videoStreamId", map[string]any{"postId": "p"}, 400, 400000},
		{"malformed json", `{"channelId":`, 400, 400000},
		{"not an object", `[]`, 400, 400000},
		{"null body", `null`, 400, 400000},
		{"empty body", ``, 400, 400000},
		{"oversized body", `{"displayName":"` + long(70<<10) + `"}`, 400, 400000},
		{"existing channelId", map[string]any{"channelId": "taken"}, 409, 400900},
		{"unknown user", map[string]any{"channelId": "new", "userIds": []string{"bob", "nobody"}}, 404, 400400},
		{"unknown avatar", map[string]any{"avatarFileId": "nofile"}, 404, 400400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.do(req{method: "POST", path: "/api/v3/channels", token: alice, body: c.body}).expect(c.status, c.code)
		})
	}
	if n := e.count("channels", ""); n != 1 {
		t.Fatalf("refused creations left %d channels", n)
	}
	if n := e.count("channel_members", ""); n != 1 {
		t.Fatalf("refused creations left %d memberships", n)
	}
	if n := e.count("outbox", "type = 'channel.created'"); n != 1 {
		t.Fatalf("refused creations wrote %d events", n)
	}
	e.do(req{method: "POST", path: "/api/v3/channels", body: map[string]any{}}).expect(401, 400100)
}

func TestChannelAvatarMustBeAnImage(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.user("alice")
	doc, img := e.file("file"), e.file("image")
	r := e.do(req{method: "POST", path: "/api/v3/channels", token: alice, body: map[string]any{"avatarFileId": doc}}).expect(403, 400300)
	if !strings.Contains(string(r.Body), "Avatar must be an image.") {
		t.Fatalf("message: %s", r.Body)
	}
	p := e.do(req{method: "POST", path: "/api/v3/channels", token: alice, body: map[string]any{"channelId": "pic", "avatarFileId": img}}).ok().JSON()
	if files := p["files"].([]any); len(files) != 1 || files[0].(map[string]any)["fileId"] != img {
		t.Fatalf("files: %v", files)
	}
	e.do(req{method: "PUT", path: "/api/v3/channels/pic", token: alice, body: map[string]any{"avatarFileId": doc}}).expect(403, 400300)
	if e.channel(alice, "pic")["avatarFileId"] != img {
		t.Fatal("a refused update changed the avatar")
	}
	ch := e.do(req{method: "PUT", path: "/api/v3/channels/pic", token: alice, body: map[string]any{"avatarFileId": ""}}).ok().JSON()
	if ch["channels"].([]any)[0].(map[string]any)["avatarFileId"] != nil {
		t.Fatalf("clearing the avatar: %v", ch)
	}
}

func TestGetChannel(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.user("alice")
	bob, _ := e.user("bob")
	e.createChannel(alice, map[string]any{"channelId": "open"})
	e.createChannel(alice, map[string]any{"channelId": "private-live", "type": "live"})
	e.createChannel(alice, map[string]any{"channelId": "a/b c?"})
	// A non-member sees a community channel, with a 'none' membership of their own.
	r := e.do(req{method: "GET", path: "/api/v3/channels/open", token: bob}).ok().JSON()
	if m := memberships(r); m["bob"] != "none" || len(m) != 1 {
		t.Fatalf("own membership: %v", m)
	}
	e.do(req{method: "GET", path: "/api/v3/channels/private-live", token: bob}).expect(403, 400301)
	e.do(req{method: "GET", path: "/api/v3/channels/private-live", token: e.adminToken()}).ok()
	e.do(req{method: "GET", path: "/api/v3/channels/nothing", token: bob}).expect(404, 400400)
	// Ids with reserved characters arrive percent-encoded.
	if e.channel(alice, "a/b c?")["channelId"] != "a/b c?" {
		t.Fatal("encoded id")
	}
	// By ids: the ones that exist and the caller may see, in the order asked.
	r = e.do(req{method: "GET", path: "/api/v3/channels/list?channelIds%5B%5D=open&channelIds%5B%5D=private-live&channelIds%5B%5D=missing&channelIds%5B%5D=a%252Fb%2520c%253F", token: bob}).ok().JSON()
	var got []string
	for _, c := range r["channels"].([]any) {
		got = append(got, c.(map[string]any)["channelId"].(string))
	}
	if strings.Join(got, ",") != "open,a/b c?" {
		t.Fatalf("list: %v", got)
	}
	e.do(req{method: "GET", path: "/api/v3/channels/list", token: bob}).expect(400, 400000)
}

func TestUpdateAndDeleteChannel(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.user("alice")
	bob, _ := e.user("bob")
	ch := e.createChannel(alice, map[string]any{"channelId": "c", "userIds": []string{"bob"}})
	body := map[string]any{"displayName": "New", "tags": []string{"t"}, "metadata": map[string]any{"a": "b"}, "notificationMode": "subscribe"}
	e.do(req{method: "PUT", path: "/api/v3/channels/c", token: bob, body: body}).expect(403, 400301)
	e.do(req{method: "PUT", path: "/api/v3/channels/c", token: alice, body: map[string]any{"displayName": 5}}).expect(400, 400000)
	e.do(req{method: "PUT", path: "/api/v3/channels/c", token: alice, body: map[string]any{"tags": []string{""}}}).expect(400, 400000)
	e.do(req{method: "PUT", path: "/api/v3/channels/none", token: alice, body: body}).expect(404, 400400)
	if e.count("outbox", "type = 'channel.updated'") != 0 {
		t.Fatal("refused updates wrote events")
	}
	got := e.do(req{method: "PUT", path: "/api/v3/channels/c", token: alice, body: body}).ok().JSON()["channels"].([]any)[0].(map[string]any)
	if got["displayName"] != "New" || got["tags"].([]any)[0] != "t" || got["metadata"].(map[string]any)["a"] != "b" || got["notificationMode"] != "subscribe" {
		t.Fatalf("updated: %v", got)
	}
	if e.events("channel.updated", internalID(ch), "") != 1 {
		t.Fatal("channel.updated")
	}

	e.do(req{method: "DELETE", path: "/api/v3/channels/c", token: bob}).expect(403, 400301)
	e.do(req{method: "DELETE", path: "/api/v3/channels/c", token: alice}).ok()
	// A deleted channel still answers GET, marked deleted; changes to it are not found.
	del := e.channel(bob, "c")
	if del["isDeleted"] != true || del["deletedAt"] == nil {
		t.Fatalf("deleted: %v", del)
	}
	e.do(req{method: "POST", path: "/api/v3/channels/c/join", token: bob}).expect(404, 400400)
}
