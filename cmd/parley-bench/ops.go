package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// operation is one kind of request the tool measures. setup prepares what n calls need
// (users, channels, tokens) outside the measured time; do makes call i.
type operation struct {
	name  string
	scale int // n is divided by this (bulk calls are heavier)
	// repeatable calls need nothing prepared per call, so -duration can run them any
	// number of times; the others (each adds, bans or removes a user of its own) stop at
	// -n calls even when the duration has not ended.
	repeatable bool
	setup      func(ctx context.Context, s *server, n, members int) (*fixture, error)
	do         func(ctx context.Context, s *server, f *fixture, i int) error
}

// fixture is what an operation's calls use.
type fixture struct {
	admin      string
	token      string   // the acting user's token
	tokens     []string // per-call tokens (leave, remove participant)
	channel    string   // public channel id
	feed       string   // default message feed id
	users      []string
	rooms      []string
	userGroups [][]string
}

var operations = map[string]operation{}

func opNames() []string {
	var out []string
	for n := range operations {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func register(op operation) { operations[op.name] = op }

var runID atomic.Int64

// runTag sets this run's names apart from earlier runs' on a server it targets.
var runTag = func() string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}()

// unique makes names that do not collide across operations and runs on one server.
func unique(prefix string) string { return fmt.Sprintf("%s-%s-%d", prefix, runTag, runID.Add(1)) }

func init() {
	register(operation{name: "create-channel", repeatable: true, setup: func(ctx context.Context, s *server, n, members int) (*fixture, error) {
		f, err := base(ctx, s, members)
		if err != nil {
			return nil, err
		}
		f.users, err = createUsers(ctx, s, f.admin, unique("cc"), 10)
		return f, err
	}, do: func(ctx context.Context, s *server, f *fixture, i int) error {
		return s.call(ctx, "POST", "/api/v3/channels", f.token, map[string]any{
			"type": "community", "displayName": fmt.Sprintf("bench %d", i), "userIds": f.users}, nil)
	}})

	register(operation{name: "add-user", setup: func(ctx context.Context, s *server, n, members int) (*fixture, error) {
		f, err := base(ctx, s, members)
		if err != nil {
			return nil, err
		}
		f.users, err = createUsers(ctx, s, f.admin, unique("add"), n)
		return f, err
	}, do: func(ctx context.Context, s *server, f *fixture, i int) error {
		return s.call(ctx, "POST", "/api/v3/channels/"+url.PathEscape(f.channel)+"/users", f.token, map[string]any{"userIds": []string{f.users[i]}}, nil)
	}})

	register(operation{name: "add-100-users", scale: 10, setup: func(ctx context.Context, s *server, n, members int) (*fixture, error) {
		f, err := base(ctx, s, members)
		if err != nil {
			return nil, err
		}
		all, err := createUsers(ctx, s, f.admin, unique("add100"), n*100)
		for i := 0; i < n && err == nil; i++ {
			f.userGroups = append(f.userGroups, all[i*100:(i+1)*100])
		}
		return f, err
	}, do: func(ctx context.Context, s *server, f *fixture, i int) error {
		return s.call(ctx, "POST", "/api/v3/channels/"+url.PathEscape(f.channel)+"/users", f.token, map[string]any{"userIds": f.userGroups[i]}, nil)
	}})

	register(operation{name: "ban-user", setup: func(ctx context.Context, s *server, n, members int) (*fixture, error) {
		f, err := base(ctx, s, members)
		if err != nil {
			return nil, err
		}
		if f.users, err = createUsers(ctx, s, f.admin, unique("ban"), n); err != nil {
			return nil, err
		}
		return f, addMembers(ctx, s, f.token, f.channel, f.users)
	}, do: func(ctx context.Context, s *server, f *fixture, i int) error {
		return s.call(ctx, "PUT", "/api/v3/channels/"+url.PathEscape(f.channel)+"/users/ban", f.token, map[string]any{"userIds": []string{f.users[i]}}, nil)
	}})

	register(operation{name: "leave", setup: func(ctx context.Context, s *server, n, members int) (*fixture, error) {
		f, err := base(ctx, s, members)
		if err != nil {
			return nil, err
		}
		if f.users, err = createUsers(ctx, s, f.admin, unique("leave"), n); err != nil {
			return nil, err
		}
		if err := addMembers(ctx, s, f.token, f.channel, f.users); err != nil {
			return nil, err
		}
		f.tokens, err = loginAll(ctx, s, f.users)
		return f, err
	}, do: func(ctx context.Context, s *server, f *fixture, i int) error {
		return s.call(ctx, "DELETE", "/api/v3/channels/"+url.PathEscape(f.channel)+"/leave", f.tokens[i], nil, nil)
	}})

	register(operation{name: "get-channel", repeatable: true, setup: func(ctx context.Context, s *server, n, members int) (*fixture, error) {
		return base(ctx, s, members)
	}, do: func(ctx context.Context, s *server, f *fixture, i int) error {
		return s.call(ctx, "GET", "/api/v3/channels/"+url.PathEscape(f.channel), f.token, nil, nil)
	}})

	register(operation{name: "list-members", repeatable: true, setup: func(ctx context.Context, s *server, n, members int) (*fixture, error) {
		f, err := base(ctx, s, members)
		if err != nil || members > 0 {
			return f, err
		}
		users, err := createUsers(ctx, s, f.admin, unique("lm"), 40)
		if err != nil {
			return nil, err
		}
		return f, addMembers(ctx, s, f.token, f.channel, users)
	}, do: func(ctx context.Context, s *server, f *fixture, i int) error {
		return s.call(ctx, "GET", "/api/v4/channels/"+url.PathEscape(f.channel)+"/users?options%5Blimit%5D=20", f.token, nil, nil)
	}})

	register(operation{name: "send-message", repeatable: true, setup: func(ctx context.Context, s *server, n, members int) (*fixture, error) {
		return base(ctx, s, members)
	}, do: func(ctx context.Context, s *server, f *fixture, i int) error {
		return s.call(ctx, "POST", "/api/v5/messages", f.token, map[string]any{
			"messageFeedId": f.feed, "dataType": "text", "data": map[string]any{"text": fmt.Sprintf("message %d", i)}}, nil)
	}})

	register(operation{name: "list-messages", repeatable: true, setup: func(ctx context.Context, s *server, n, members int) (*fixture, error) {
		f, err := base(ctx, s, members)
		for i := 0; i < 50 && err == nil; i++ {
			err = s.call(ctx, "POST", "/api/v5/messages", f.token, map[string]any{
				"messageFeedId": f.feed, "dataType": "text", "data": map[string]any{"text": "hello"}}, nil)
		}
		return f, err
	}, do: func(ctx context.Context, s *server, f *fixture, i int) error {
		return s.call(ctx, "GET", "/api/v5/messages?messageFeedId="+url.QueryEscape(f.feed)+"&options%5BsortBy%5D=segmentDesc&options%5Blimit%5D=20", f.token, nil, nil)
	}})

	register(operation{name: "remove-participant", setup: func(ctx context.Context, s *server, n, members int) (*fixture, error) {
		f, err := base(ctx, s, 0)
		if err != nil {
			return nil, err
		}
		if f.users, err = createUsers(ctx, s, f.admin, unique("cohost"), n); err != nil {
			return nil, err
		}
		tokens, err := loginAll(ctx, s, f.users)
		if err != nil {
			return nil, err
		}
		f.rooms = make([]string, n)
		return f, parallel(n, func(i int) error {
			var room struct {
				Rooms []struct {
					ID string `json:"_id"`
				} `json:"rooms"`
			}
			if err := s.call(ctx, "POST", "/api/v1/rooms", f.token, map[string]any{"title": "bench", "type": "coHosts", "liveChatEnabled": false}, &room); err != nil {
				return err
			}
			f.rooms[i] = room.Rooms[0].ID
			var inv struct {
				Invitations []struct {
					ID string `json:"_id"`
				} `json:"invitations"`
			}
			if err := s.call(ctx, "POST", "/api/v1/invitations", f.token, map[string]any{"type": "livestreamCohostInvite", "targetType": "room", "targetId": f.rooms[i], "userIds": []string{f.users[i]}}, &inv); err != nil {
				return err
			}
			return s.call(ctx, "POST", "/api/v1/invitations/"+inv.Invitations[0].ID+"/accept", tokens[i], nil, nil)
		})
	}, do: func(ctx context.Context, s *server, f *fixture, i int) error {
		return s.call(ctx, "DELETE", "/api/v1/rooms/"+f.rooms[i]+"/participants", f.token, map[string]any{"participantUserId": f.users[i]}, nil)
	}})
}

// bigChannels keeps, per size, the one big channel every operation of that size shares
// (filling a channel with 300,000 members takes minutes), with its owner's token.
var bigChannels = map[int]*fixture{}

// base logs in an acting user and creates the channel the operation works on; with
// members > 0 it is instead the channel of that many members, made once per run and
// shared by every operation (each works on users of its own).
func base(ctx context.Context, s *server, members int) (*fixture, error) {
	if members > 0 {
		if big, ok := bigChannels[members]; ok {
			f := *big
			return &f, nil
		}
	}
	f := &fixture{}
	admin, err := adminToken(ctx, s)
	if err != nil {
		return nil, err
	}
	f.admin = admin
	owner := unique("owner")
	tokens, err := loginAll(ctx, s, []string{owner})
	if err != nil {
		return nil, err
	}
	f.token = tokens[0]
	var ch struct {
		Channels []struct {
			ChannelID         string `json:"channelId"`
			ChannelInternalID string `json:"channelInternalId"`
		} `json:"channels"`
	}
	if err := s.call(ctx, "POST", "/api/v3/channels", f.token, map[string]any{"type": "community", "displayName": "bench"}, &ch); err != nil {
		return nil, err
	}
	f.channel, f.feed = ch.Channels[0].ChannelID, ch.Channels[0].ChannelInternalID
	if members > 0 {
		t0 := time.Now()
		users, err := createUsers(ctx, s, f.admin, unique("big"), members-1)
		if err != nil {
			return nil, err
		}
		if err := addMembers(ctx, s, f.token, f.channel, users); err != nil {
			return nil, err
		}
		fmt.Printf("(made a channel of %d members in %s)\n", members, time.Since(t0).Round(time.Second))
		big := *f
		bigChannels[members] = &big
	}
	return f, nil
}

var adminCache sync.Map

func adminToken(ctx context.Context, s *server) (string, error) {
	if v, ok := adminCache.Load(s.base); ok {
		return v.(string), nil
	}
	var out struct {
		AdminToken string `json:"adminToken"`
	}
	if err := s.callWithHeader(ctx, "POST", "/api/v1/admin-token", "x-server-key", s.serverKey, &out); err != nil {
		return "", err
	}
	adminCache.Store(s.base, out.AdminToken)
	return out.AdminToken, nil
}

// createUsers creates n users through the admin API, 8 at a time.
func createUsers(ctx context.Context, s *server, admin, prefix string, n int) ([]string, error) {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return ids, parallel(n, func(i int) error {
		return s.call(ctx, "PUT", "/api/v3/users", admin, map[string]any{"userId": ids[i], "displayName": ids[i], "createNewUserWhenNotFound": true}, nil)
	})
}

func loginAll(ctx context.Context, s *server, ids []string) ([]string, error) {
	tokens := make([]string, len(ids))
	return tokens, parallel(len(ids), func(i int) error {
		var out struct {
			AccessToken string `json:"accessToken"`
		}
		err := s.callWithHeader(ctx, "POST", "/api/v5/sessions", "X-API-Key", s.apiKey, &out, map[string]any{"userId": ids[i], "deviceId": "bench"})
		tokens[i] = out.AccessToken
		return err
	})
}

// addMembers adds users in calls of 100.
func addMembers(ctx context.Context, s *server, token, channel string, users []string) error {
	batches := (len(users) + 99) / 100
	return parallel(batches, func(b int) error {
		end := min(len(users), (b+1)*100)
		return s.call(ctx, "POST", "/api/v3/channels/"+url.PathEscape(channel)+"/users", token, map[string]any{"userIds": users[b*100 : end]}, nil)
	})
}

// parallel runs fn(0..n-1) on 8 workers and returns the first error.
func parallel(n int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
