// Package httpapi is Parley's REST surface: routes, authentication, wire decoding and the
// error mapping. Handlers decode, call one chat method, and encode; rules live in chat.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/playback"
	"github.com/parley-chat/parley/internal/room"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config tunes the HTTP surface.
type Config struct {
	MaxBodyBytes   int64 // JSON bodies
	MaxUploadBytes int64 // multipart file uploads
	// CORSOrigins are the browser origins that may call the API and open /mqtt
	// (ParseCORSOrigins); nil means `*`.
	CORSOrigins []string
	// AccessLog is the share of requests logged, from 0 (none) to 1 (all); answers of
	// 400 and over are logged whenever it is above 0.
	AccessLog float64
}

// API serves the REST routes.
type API struct {
	svc     *chat.Service
	rooms   *room.Service
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	ready   func(context.Context) error
	// readyDetails (Options.ReadyDetails) may be nil.
	readyDetails func() map[string]any
	mux          *http.ServeMux
	handler      http.Handler // mux inside the common wrapping, built once in New

	corsPolicy corsPolicy // Config.CORSOrigins, parsed
}

// Options are the collaborators the API needs besides the domain.
type Options struct {
	Config   Config
	Rooms    *room.Service // live rooms and invitations; nil serves none of their routes
	Logger   *slog.Logger
	Registry *prometheus.Registry // metrics; a fresh one when nil
	Ready    func(context.Context) error
	// ReadyDetails adds to /readyz's answer what an operator sizes the node by (its
	// connection capacity); may be nil.
	ReadyDetails func() map[string]any
	// Playback serves live rooms' HLS output on GET /api/v1/rooms/{roomId}/live/{file};
	// nil serves none. Its MayWatch defaults to the rooms' CanReadRoom.
	Playback *playback.Server
}

// New builds the API and its routes.
func New(svc *chat.Service, opt Options) *API {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Registry == nil {
		opt.Registry = prometheus.NewRegistry()
	}
	if opt.Config.MaxBodyBytes == 0 {
		opt.Config.MaxBodyBytes = 1 << 20
	}
	if opt.Config.MaxUploadBytes == 0 {
		opt.Config.MaxUploadBytes = 100 << 20
	}
	if opt.Config.CORSOrigins == nil {
		opt.Config.CORSOrigins = []string{"*"}
	}
	if opt.Ready == nil {
		opt.Ready = func(context.Context) error { return nil }
	}
	a := &API{svc: svc, rooms: opt.Rooms, cfg: opt.Config, log: opt.Logger, metrics: newMetrics(opt.Registry), ready: opt.Ready, readyDetails: opt.ReadyDetails, mux: http.NewServeMux(),
		corsPolicy: newCORSPolicy(opt.Config.CORSOrigins)}
	a.routesHealth(opt.Registry)
	a.routesSessions()
	a.routesUsers()
	a.routesFiles()
	a.routesNetwork()
	a.routesChannels()
	a.routesMessages()
	a.routesMessageFeeds()
	a.routesMarkers()
	a.routesReactions()
	if a.rooms != nil {
		a.routesRooms()
		a.routesInvitations()
		if p := opt.Playback; p != nil {
			if p.MayWatch == nil {
				p.MayWatch = a.rooms.CanReadRoom
			}
			// No a.auth: players cannot send headers; the signed token in the URL is the
			// viewer's credential.
			a.mux.Handle("GET /api/v1/rooms/{roomId}/live/{file}", p)
		}
	}
	a.routesWebhooks()
	a.routesWebhookEndpoints()
	a.routesUserSafety()
	a.routesModeration()
	a.routesRoles()
	a.routesBlocklists()
	a.routesPush()
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, r, chat.Errorf(chat.CodeNotFound, "Route %s %s not found.", r.Method, r.URL.Path))
	})
	// Built once: wrapping per request allocated the closures of every layer each time.
	a.handler = a.outer(a.validText(a.mux))
	return a
}

// Handle lets other packages (the MQTT WebSocket endpoint) mount on the same listener.
func (a *API) Handle(pattern string, h http.Handler) { a.mux.Handle(pattern, h) }

// ServeHTTP serves a request through the common wrapping.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.handler.ServeHTTP(w, r)
}

func (a *API) routesHealth(reg *prometheus.Registry) {
	a.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		a.writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	a.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		body := map[string]any{}
		if a.readyDetails != nil {
			for k, v := range a.readyDetails() {
				body[k] = v
			}
		}
		if err := a.ready(r.Context()); err != nil {
			body["status"], body["reason"] = "unavailable", err.Error()
			a.writeJSON(w, http.StatusServiceUnavailable, body)
			return
		}
		body["status"] = "ready"
		a.writeJSON(w, http.StatusOK, body)
	})
	a.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	a.mux.HandleFunc("GET /api/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(OpenAPI())
	})
}
