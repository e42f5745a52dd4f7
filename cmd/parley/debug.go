package main

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
)

// startDebug serves Go's profiler on its own listener, off by default: profiles expose
// internals and must never share the public port.
func startDebug(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() {
		log.Info("pprof debug listener", "addr", addr)
		if err := http.ListenAndServe(addr, mux); err != nil {
			log.Error("debug listener", "error", err)
		}
	}()
}
