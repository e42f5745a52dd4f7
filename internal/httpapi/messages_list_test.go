package httpapi_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
)

func seq(from, to int) []int {
	var out []int
	step := 1
	if to < from {
		step = -1
	}
	for i := from; ; i += step {
		out = append(out, i)
		if i == to {
			return out
		}
	}
}

func TestMessagePaging(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	var ids []string
	for i := 1; i <= 25; i++ {
		ids = append(ids, e.send(f.bob, text(f.feed, fmt.Sprint(i)))["messageId"].(string))
	}
	base := "messageFeedId=" + f.feed + "&isDeleted=false"
	t.Run("segmentDesc", func(t *testing.T) {
		e := e.in(t)
		p := e.messages(f.alice, q(base, "options%5BsortBy%5D=segmentDesc", "options%5Blimit%5D=10"))
		next, prev := paging(p)
		if !reflect.DeepEqual(segments(p), seq(25, 16)) || next == "" || prev != "" {
			t.Fatalf("first page %v next=%q previous=%q (the first page has no previous)", segments(p), next, prev)
		}
		p2 := e.messages(f.alice, q(base, tokenQuery(next)))
		next2, prev2 := paging(p2)
		if !reflect.DeepEqual(segments(p2), seq(15, 6)) || next2 == "" || prev2 == "" {
			t.Fatalf("second page %v", segments(p2))
		}
		p3 := e.messages(f.alice, q(base, tokenQuery(next2)))
		if next3, _ := paging(p3); !reflect.DeepEqual(segments(p3), seq(5, 1)) || next3 != "" {
			t.Fatalf("last page %v next=%q", segments(p3), next3)
		}
		back := e.messages(f.alice, q(base, tokenQuery(prev2)))
		if _, prevBack := paging(back); !reflect.DeepEqual(segments(back), seq(25, 16)) || prevBack != "" {
			t.Fatalf("back to the first page: %v previous=%q", segments(back), prevBack)
		}
	})
	t.Run("segmentAsc", func(t *testing.T) {
		e := e.in(t)
		p := e.messages(f.alice, q(base, "options%5BsortBy%5D=segmentAsc", "options%5Blimit%5D=10"))
		next, prev := paging(p)
		if !reflect.DeepEqual(segments(p), seq(1, 10)) || next == "" || prev != "" {
			t.Fatalf("first page %v", segments(p))
		}
		p2 := e.messages(f.alice, q(base, tokenQuery(next)))
		if !reflect.DeepEqual(segments(p2), seq(11, 20)) {
			t.Fatalf("second page %v", segments(p2))
		}
		_, prev2 := paging(p2)
		back := e.messages(f.alice, q(base, tokenQuery(prev2)))
		if !reflect.DeepEqual(segments(back), seq(1, 10)) {
			t.Fatalf("back: %v", segments(back))
		}
	})
	t.Run("around", func(t *testing.T) {
		e := e.in(t)
		p := e.messages(f.alice, q(base, "options%5BsortBy%5D=segmentDesc", "options%5Blimit%5D=5", "options%5Baround%5D="+ids[9]))
		next, prev := paging(p)
		if !reflect.DeepEqual(segments(p), seq(12, 8)) || next == "" || prev == "" {
			t.Fatalf("around segment 10: %v", segments(p))
		}
		if older := e.messages(f.alice, q(base, tokenQuery(next))); !reflect.DeepEqual(segments(older), seq(7, 3)) {
			t.Fatalf("after around: %v", segments(older))
		}
		if newer := e.messages(f.alice, q(base, tokenQuery(prev))); !reflect.DeepEqual(segments(newer), seq(17, 13)) {
			t.Fatalf("before around: %v", segments(newer))
		}
		asc := e.messages(f.alice, q(base, "options%5BsortBy%5D=segmentAsc", "options%5Blimit%5D=4", "options%5Baround%5D="+ids[0]))
		if _, prev := paging(asc); !reflect.DeepEqual(segments(asc), seq(1, 4)) || prev != "" {
			t.Fatalf("around the first message: %v", segments(asc))
		}
		e.do(req{method: "GET", path: "/api/v5/messages?" + q(base, "options%5Baround%5D="+chat.NewID()), token: f.alice}).expect(404, 400400)
	})
	t.Run("bad input", func(t *testing.T) {
		e := e.in(t)
		for _, bad := range []string{
			"isDeleted=false",
			q(base, "options%5BsortBy%5D=newest"),
			q(base, "options%5Blimit%5D=0"),
			q(base, "options%5Blimit%5D=101"),
			q(base, "options%5Blimit%5D=ten"),
			q(base, "options%5Btoken%5D=%25%25"),
			q(base, "dataType=poll"),
			q(base, "hasFlags=maybe"),
		} {
			e.do(req{method: "GET", path: "/api/v5/messages?" + bad, token: f.alice}).expect(400, 400000)
		}
		e.do(req{method: "GET", path: "/api/v5/messages?messageFeedId=" + chat.NewID(), token: f.alice}).expect(404, 400400)
		// Non-members read a community channel (they could join it); not a conversation.
		e.messages(f.carol, base)
	})
}

func TestMessageFilters(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	parent := e.send(f.bob, text(f.feed, "question"))
	pid := parent["messageId"].(string)
	reply := text(f.feed, "answer")
	reply["parentId"] = pid
	r := e.send(f.alice, reply)
	if r["parentId"] != pid {
		t.Fatalf("reply parentId %v", r["parentId"])
	}
	tagged := text(f.feed, "tagged")
	tagged["tags"] = []string{"red", "blue"}
	e.send(f.bob, tagged)
	e.send(f.bob, map[string]any{"messageFeedId": f.feed, "dataType": "custom", "data": map[string]any{"k": 1}})
	gone := e.send(f.bob, text(f.feed, "gone"))
	e.do(req{method: "DELETE", path: "/api/v5/messages/" + gone["messageId"].(string), token: f.bob}).ok()

	p := e.do(req{method: "GET", path: "/api/v5/messages/" + pid, token: f.bob}).ok().JSON()
	if first(p, "messages")["childCount"] != 1.0 {
		t.Fatalf("parent childCount %v", first(p, "messages")["childCount"])
	}
	base := "messageFeedId=" + f.feed + "&options%5BsortBy%5D=segmentAsc"
	cases := map[string][]int{
		"parentId=" + pid:            {2},
		"includeTags%5B%5D=red":      {3},
		"excludeTags%5B%5D=blue":     {1, 2, 4, 5},
		"dataType=custom":            {4},
		"isDeleted=false":            {1, 2, 3, 4},
		"isDeleted=false&hasFlags=1": nil,
		"":                           {1, 2, 3, 4, 5}, // deleted ones included when isDeleted is absent
	}
	for query, want := range cases {
		if got := segments(e.messages(f.alice, q(base, query))); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
	}
	e.do(req{method: "POST", path: "/api/v5/messages/" + pid + "/flags", token: f.alice}).ok()
	if got := segments(e.messages(f.alice, q(base, "hasFlags=true"))); !reflect.DeepEqual(got, []int{1}) {
		t.Fatalf("hasFlags: %v", got)
	}
	// A reply's parent must be in the same feed.
	sub := e.do(req{method: "POST", path: "/api/v5/message-feeds", token: f.bob, body: map[string]any{"channelId": "c", "name": "thread"}}).ok().JSON()
	wrong := text(first(sub, "messageFeeds")["messageFeedId"].(string), "x")
	wrong["parentId"] = pid
	e.do(req{method: "POST", path: "/api/v5/messages", token: f.bob, body: wrong}).expect(404, 400400)
}
