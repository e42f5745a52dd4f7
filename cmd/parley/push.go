package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/push"
	"github.com/prometheus/client_golang/prometheus"
)

// pushConfig is the PARLEY_PUSH_* settings (docs/push.md).
type pushConfig struct {
	FCMCredentials                                string
	APNsKey, APNsKeyID, APNsTeamID, APNsTopic     string
	APNsSandbox                                   bool
	VAPIDPublicKey, VAPIDPrivateKey, VAPIDSubject string
	WebhookURL                                    string
	RetryFor                                      time.Duration
}

// check refuses a provider configured by halves.
func (p pushConfig) check() error {
	if (p.APNsKey != "" || p.APNsKeyID != "" || p.APNsTeamID != "" || p.APNsTopic != "") &&
		(p.APNsKey == "" || p.APNsKeyID == "" || p.APNsTeamID == "" || p.APNsTopic == "") {
		return errors.New("PARLEY_PUSH_APNS_KEY, PARLEY_PUSH_APNS_KEY_ID, PARLEY_PUSH_APNS_TEAM_ID and PARLEY_PUSH_APNS_TOPIC go together")
	}
	if (p.VAPIDPublicKey != "" || p.VAPIDPrivateKey != "" || p.VAPIDSubject != "") &&
		(p.VAPIDPublicKey == "" || p.VAPIDPrivateKey == "" || p.VAPIDSubject == "") {
		return errors.New("PARLEY_PUSH_VAPID_PUBLIC_KEY, PARLEY_PUSH_VAPID_PRIVATE_KEY and PARLEY_PUSH_VAPID_SUBJECT go together")
	}
	return nil
}

// vapidSubject is a mailto: address or an https: URL, as RFC 8292 wants.
func vapidSubject(s string) error {
	u, err := url.Parse(s)
	if err != nil || !(u.Scheme == "mailto" && u.Opaque != "" || u.Scheme == "https" && u.Host != "") {
		return errors.New("must be a mailto: address or an https:// URL")
	}
	return nil
}

// off tells that no provider is configured: push is off, and events write no push job.
func (p pushConfig) off() bool {
	return p.WebhookURL == "" && p.FCMCredentials == "" && p.APNsKey == "" && p.VAPIDPublicKey == ""
}

// router builds the configured providers; none configured leaves push off.
func (p pushConfig) router() (push.Router, error) {
	var r push.Router
	if p.WebhookURL != "" {
		r.Webhook = &push.Webhook{URL: p.WebhookURL}
		return r, nil
	}
	if p.FCMCredentials != "" {
		key, err := os.ReadFile(p.FCMCredentials)
		if err != nil {
			return r, fmt.Errorf("PARLEY_PUSH_FCM_CREDENTIALS: %w", err)
		}
		if r.Android, err = push.NewFCM(key, push.FCMOptions{}); err != nil {
			return r, err
		}
	}
	if p.APNsKey != "" {
		a, err := push.NewAPNs(push.APNsOptions{KeyFile: p.APNsKey, KeyID: p.APNsKeyID, TeamID: p.APNsTeamID, Topic: p.APNsTopic, Sandbox: p.APNsSandbox})
		if err != nil {
			return r, err
		}
		r.IOS = a
	}
	if p.VAPIDPublicKey != "" {
		w, err := push.NewWebPush(push.WebPushOptions{PublicKey: p.VAPIDPublicKey, PrivateKey: p.VAPIDPrivateKey, Subscriber: p.VAPIDSubject})
		if err != nil {
			return r, err
		}
		r.Web = w
	}
	return r, nil
}

// startPush runs the push dispatcher and returns its wake-up and its stop. With no
// provider configured events write no job (openStore), and commits do not wake the
// dispatcher; it still runs on its poll, and drains the jobs written while push was on
// (every push given up, logged at debug level only).
func startPush(p pushConfig, svc *chat.Service, log *slog.Logger, reg prometheus.Registerer) (wake, stop func(), err error) {
	r, err := p.router()
	if err != nil {
		return nil, nil, err
	}
	if !r.Configured() {
		log.Info("push notifications off: no provider configured (devices still register)")
	}
	d := push.New(svc, r, push.Options{RetryFor: p.RetryFor, Logger: log, Registry: reg})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	wake = d.Wake
	if !r.Configured() {
		wake = func() {}
	}
	return wake, func() { cancel(); <-done }, nil
}
