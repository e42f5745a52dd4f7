package httpapi_test

// The hot paths of the load tool (cmd/parley-bench), in process: the real router, the
// real service and store, no network and no OpenAPI validation, so that a profile shows
// only the server's own work. Figures are printed, never asserted:
//
//	go test -run '^$' -bench HotPaths -benchtime 2000x -cpuprofile cpu.out ./internal/httpapi/
//	go tool pprof -top -cum cpu.out
//
// SQLite runs with synchronous=FULL, as in production; PARLEY_TEST_DIALECT=postgres runs
// them on PostgreSQL.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/parley-chat/parley/internal/blob"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

type benchServer struct {
	b     *testing.B
	h     http.Handler
	svc   *chat.Service
	db    *store.DB
	admin string
	seq   atomic.Int64
}

func newBenchServer(b *testing.B) *benchServer {
	dir := b.TempDir()
	db := storetest.OpenAt(b, storetest.Target(b, storetest.Dialect(b)), store.Options{Synchronous: "FULL"})
	blobs, err := blob.NewDir(filepath.Join(dir, "files"))
	if err != nil {
		b.Fatal(err)
	}
	svc, err := chat.New(context.Background(), db, blobs, chat.Config{APIKey: testAPIKey, ServerKey: testServerKey, PublicURL: "http://127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	s := &benchServer{b: b, h: httpapi.New(svc, httpapi.Options{}), svc: svc, db: db}
	var out struct {
		AdminToken string `json:"adminToken"`
	}
	s.call("POST", "/api/v1/admin-token", map[string]string{"x-server-key": testServerKey}, nil, &out)
	s.admin = out.AdminToken
	return s
}

// call serves one request and decodes its answer into out; anything but 200 fails.
func (s *benchServer) call(method, path string, header map[string]string, body, out any) {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		s.b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body.String())
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			s.b.Fatal(err)
		}
	}
}

func (s *benchServer) as(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// users creates n users and returns their ids.
func (s *benchServer) users(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%d", s.seq.Add(1))
		s.call("PUT", "/api/v3/users", s.as(s.admin), map[string]any{"userId": ids[i], "createNewUserWhenNotFound": true}, nil)
	}
	return ids
}

func (s *benchServer) login(id string) string {
	var out struct {
		AccessToken string `json:"accessToken"`
	}
	s.call("POST", "/api/v5/sessions", map[string]string{"X-API-Key": testAPIKey}, map[string]string{"userId": id, "deviceId": "bench"}, &out)
	return out.AccessToken
}

// channel creates a community channel owned by a new user with members more members.
func (s *benchServer) channel(members int) (owner, channelID, feedID string) {
	owner = s.login(s.users(1)[0])
	var out struct {
		Channels []struct {
			ChannelID         string `json:"channelId"`
			ChannelInternalID string `json:"channelInternalId"`
		} `json:"channels"`
	}
	s.call("POST", "/api/v3/channels", s.as(owner), map[string]any{"type": "community", "displayName": "bench"}, &out)
	channelID, feedID = out.Channels[0].ChannelID, out.Channels[0].ChannelInternalID
	ids := s.users(members)
	for len(ids) > 0 {
		n := min(100, len(ids))
		s.call("POST", "/api/v3/channels/"+channelID+"/users", s.as(owner), map[string]any{"userIds": ids[:n]}, nil)
		ids = ids[n:]
	}
	return owner, channelID, feedID
}

func BenchmarkHotPaths(b *testing.B) {
	s := newBenchServer(b)
	owner, channelID, feedID := s.channel(40)

	b.Run("get-channel", func(b *testing.B) {
		s.b = b
		for b.Loop() {
			s.call("GET", "/api/v3/channels/"+channelID, s.as(owner), nil, nil)
		}
	})
	b.Run("list-members", func(b *testing.B) {
		s.b = b
		for b.Loop() {
			s.call("GET", "/api/v4/channels/"+channelID+"/users?options%5Blimit%5D=20", s.as(owner), nil, nil)
		}
	})
	b.Run("send-message", func(b *testing.B) {
		s.b = b
		for b.Loop() {
			s.call("POST", "/api/v5/messages", s.as(owner), map[string]any{"messageFeedId": feedID, "dataType": "text", "data": map[string]string{"text": "hello"}}, nil)
		}
	})
	b.Run("add-user", func(b *testing.B) {
		s.b = b
		ids := s.users(b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			s.call("POST", "/api/v3/channels/"+channelID+"/users", s.as(owner), map[string]any{"userIds": ids[i : i+1]}, nil)
		}
	})
	b.Run("create-channel", func(b *testing.B) {
		s.b = b
		ids := s.users(10)
		b.ResetTimer()
		for b.Loop() {
			s.call("POST", "/api/v3/channels", s.as(owner), map[string]any{"type": "community", "displayName": "bench", "userIds": ids}, nil)
		}
	})
}
