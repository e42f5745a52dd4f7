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
			e.in(t).do(req{method: "POST", path: "/api/v3/channels", token: alice, body: c.body}).expect(c.status, c.code)
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

func TestConversations(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.user("alice")
	bob, _ := e.user("bob")
	e.user("carol")
	conv := func(token string, body map[string]any) map[string]any {
		return e.do(req{method: "POST", path: "/api/v3/channels/conversation", token: token, body: body}).ok().JSON()
	}
	first := conv(alice, map[string]any{"userIds": []string{"bob"}, "type": "conversation"})
	ch := first["channels"].([]any)[0].(map[string]any)
	if ch["type"] != "conversation" || ch["isDistinct"] != true || ch["memberCount"] != 2.0 {
		t.Fatalf("conversation: %v", ch)
	}
	// A conversation's payload carries every member.
	if m := memberships(first); len(m) != 2 || m["alice"] != "member" || m["bob"] != "member" {
		t.Fatalf("members: %v", m)
	}
	// The same member set, named from the other side, is the same channel.
	again := conv(bob, map[string]any{"userIds": []string{"alice", "bob"}})["channels"].([]any)[0].(map[string]any)
	if again["_id"] != ch["_id"] {
		t.Fatal("distinct conversation was created twice")
	}
	// Someone who left comes back when the conversation is asked for again.
	e.do(req{method: "DELETE", path: "/api/v3/channels/" + ch["channelId"].(string) + "/leave", token: bob}).ok()
	back := conv(alice, map[string]any{"userIds": []string{"bob"}})
	if m := memberships(back); m["bob"] != "member" || back["channels"].([]any)[0].(map[string]any)["memberCount"] != 2.0 {
		t.Fatalf("reopened: %v", m)
	}
	// A different set, or isDistinct false, is a new channel.
	group := conv(alice, map[string]any{"userIds": []string{"bob", "carol"}})["channels"].([]any)[0].(map[string]any)
	other := conv(alice, map[string]any{"userIds": []string{"bob"}, "isDistinct": false})["channels"].([]any)[0].(map[string]any)
	if group["_id"] == ch["_id"] || other["_id"] == ch["_id"] || other["isDistinct"] != false {
		t.Fatal("distinct sets")
	}
	// Deleting a distinct conversation frees its member set.
	e.do(req{method: "DELETE", path: "/api/v3/channels/" + ch["channelId"].(string), token: alice}).ok()
	fresh := conv(alice, map[string]any{"userIds": []string{"bob"}})["channels"].([]any)[0].(map[string]any)
	if fresh["_id"] == ch["_id"] {
		t.Fatal("a deleted conversation was returned")
	}
	// Non-members cannot read a conversation.
	carol, _ := e.login("carol")
	e.do(req{method: "GET", path: "/api/v3/channels/" + fresh["channelId"].(string), token: carol}).expect(403, 400301)

	before := e.count("channels", "")
	for _, bad := range []any{
		map[string]any{}, map[string]any{"userIds": []string{}}, map[string]any{"userIds": "bob"},
		map[string]any{"userIds": []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}},
		map[string]any{"userIds": []string{"bob"}, "type": "community"}, map[string]any{"userIds": []string{"bob"}, "isDistinct": "yes"},
		map[string]any{"userIds": []string{"bob"}, "metadata": 1}, `{"userIds":`,
	} {
		e.do(req{method: "POST", path: "/api/v3/channels/conversation", token: alice, body: bad}).expect(400, 400000)
	}
	e.do(req{method: "POST", path: "/api/v3/channels/conversation", token: alice, body: map[string]any{"userIds": []string{"bob", "ghost"}}}).expect(404, 400400)
	if e.count("channels", "") != before {
		t.Fatal("a refused conversation was created")
	}
}

func TestQueryChannels(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.user("alice")
	bob, _ := e.user("bob")
	e.createChannel(alice, map[string]any{"channelId": "c1", "displayName": "Alpha", "tags": []string{"a", "b"}, "userIds": []string{"bob"}})
	e.createChannel(alice, map[string]any{"channelId": "c2", "displayName": "Beta", "tags": []string{"a"}})
	e.createChannel(alice, map[string]any{"channelId": "c3", "displayName": "Gamma", "type": "live"})
	e.createChannel(alice, map[string]any{"channelId": "c4", "displayName": "Delta", "type": "live", "isPublic": true})
	e.createChannel(alice, map[string]any{"channelId": "gone", "displayName": "Gone"})
	e.do(req{method: "DELETE", path: "/api/v3/channels/gone", token: alice}).ok()
	e.do(req{method: "POST", path: "/api/v3/channels/conversation", token: alice, body: map[string]any{"userIds": []string{"carol-not-here"}}}).expect(404, 400400)
	ids := func(token, query string) string {
		r := e.do(req{method: "GET", path: "/api/v3/channels?sortBy=displayName&" + query, token: token}).ok().JSON()
		var out []string
		for _, c := range r["channels"].([]any) {
			out = append(out, c.(map[string]any)["channelId"].(string))
		}
		return strings.Join(out, ",")
	}
	cases := []struct{ token, query, want string }{
		{bob, "", "c1,c2,c4,gone"}, // bob cannot see the private live channel
		{alice, "", "c1,c2,c4,c3,gone"},
		{bob, "filter=member", "c1"},
		{bob, "filter=notMember", "c2,c4,gone"},
		{bob, "types%5B%5D=live", "c4"},
		{bob, "types%5B%5D=private&types%5B%5D=standard", "c1,c2,c4,gone"},
		{bob, "tags%5B%5D=a&tags%5B%5D=b", "c1"},
		{bob, "tags%5B%5D=a&excludeTags%5B%5D=b", "c2"},
		{bob, "keyword=ET", "c2"},
		{bob, "isDeleted=true", "gone"},
		{bob, "isDeleted=false", "c1,c2,c4"},
		{e.adminToken(), "types%5B%5D=live", "c4,c3"},
	}
	for _, c := range cases {
		if got := ids(c.token, c.query); got != c.want {
			t.Errorf("%s: got %s, want %s", c.query, got, c.want)
		}
	}
	// Keyset pages cover every channel once.
	seen := map[string]bool{}
	path := "/api/v3/channels?options%5Blimit%5D=2"
	for path != "" {
		r := e.do(req{method: "GET", path: path, token: alice}).ok().JSON()
		for _, c := range r["channels"].([]any) {
			id := c.(map[string]any)["channelId"].(string)
			if seen[id] {
				t.Fatalf("%s twice", id)
			}
			seen[id] = true
		}
		path = ""
		if next, _ := r["paging"].(map[string]any)["next"].(string); next != "" {
			path = "/api/v3/channels?options%5Btoken%5D=" + strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(next)
		}
	}
	if len(seen) != 5 {
		t.Fatalf("paged over %d channels", len(seen))
	}
	for _, bad := range []string{"filter=flagged", "types%5B%5D=secret", "sortBy=size", "isDeleted=2", "options%5Blimit%5D=500",
		"keyword=" + strings.Repeat("k", 101), "tags%5B%5D=" + strings.Repeat("t", 101)} {
		e.do(req{method: "GET", path: "/api/v3/channels?" + bad, token: alice}).expect(400, 400000)
	}
}

func TestRealtimeHooks(t *testing.T) {
	e := newEnv(t)
	alice, a := e.user("alice")
	_, b := e.user("bob")
	_, c := e.user("carol")
	ctx := t.Context()
	open := e.createChannel(alice, map[string]any{"channelId": "open", "userIds": []string{"bob"}})
	private := e.createChannel(alice, map[string]any{"channelId": "private", "type": "live", "userIds": []string{"bob"}})
	ids, err := e.svc.ChannelMemberIDs(ctx, internalID(open))
	if err != nil || len(ids) != 2 || !slices.Contains(ids, a.id()) || !slices.Contains(ids, b.id()) {
		t.Fatalf("member ids: %v %v", ids, err)
	}
	read := func(u userInfo, ch map[string]any) bool {
		ok, err := e.svc.CanReadChannel(ctx, u.id(), internalID(ch))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !read(b, private) || read(c, private) || !read(c, open) {
		t.Fatal("read rights")
	}
	if ok, _ := e.svc.CanReadChannel(ctx, c.id(), "000000000000000000000000"); ok {
		t.Fatal("a missing channel is readable")
	}
	e.do(req{method: "DELETE", path: "/api/v3/channels/private/users", token: alice, body: users("bob")}).ok()
	if read(b, private) {
		t.Fatal("a removed member still reads a private channel")
	}
}
