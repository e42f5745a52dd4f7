package push

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	webpush "github.com/SherClockHolmes/webpush-go"
)

// WebPush sends to browsers with VAPID: the device token is the browser's
// PushSubscription as JSON.
type WebPush struct {
	opt WebPushOptions
}

// WebPushOptions are the VAPID keys (URL-safe base64, as webpush.GenerateVAPIDKeys
// makes them) and the subscriber (a mailto: or https: URL of the operator).
type WebPushOptions struct {
	PublicKey, PrivateKey, Subscriber string
	TTL                               int // seconds the push service keeps it [86400]
	HTTPClient                        *http.Client
}

// NewWebPush checks the options.
func NewWebPush(opt WebPushOptions) (*WebPush, error) {
	if opt.PublicKey == "" || opt.PrivateKey == "" || opt.Subscriber == "" {
		return nil, fmt.Errorf("web push needs a VAPID public key, private key and subject")
	}
	if opt.TTL <= 0 {
		opt.TTL = 86400
	}
	// webpush-go puts "mailto:" before any subject that is not an https: URL, so a
	// mailto: subject handed over whole came out as mailto:mailto:…; it gets the address.
	opt.Subscriber = strings.TrimPrefix(opt.Subscriber, "mailto:")
	return &WebPush{opt: opt}, nil
}

// Send implements Provider.
func (w *WebPush) Send(ctx context.Context, n Notification) error {
	var sub webpush.Subscription
	if err := json.Unmarshal([]byte(n.Token), &sub); err != nil {
		return ErrUnregistered // never a subscription: nothing will ever reach it
	}
	body, _ := json.Marshal(map[string]any{"title": n.Data.Title, "body": n.Data.Body, "data": dataFields(n)})
	o := &webpush.Options{Subscriber: w.opt.Subscriber, VAPIDPublicKey: w.opt.PublicKey, VAPIDPrivateKey: w.opt.PrivateKey,
		TTL: w.opt.TTL, Topic: topic(n.ID), Urgency: webpush.UrgencyHigh}
	if w.opt.HTTPClient != nil {
		o.HTTPClient = w.opt.HTTPClient
	}
	resp, err := webpush.SendNotificationWithContext(ctx, body, &sub, o)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	err = fmt.Errorf("web push service answered %d", resp.StatusCode)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return ErrUnregistered
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return err
	}
	return Permanent(err)
}

// topic makes a Web Push Topic (at most 32 URL-safe characters) of a notification id.
func topic(id string) string {
	const safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
	out := make([]byte, 0, 32)
	for i := 0; i < len(id) && len(out) < 32; i++ {
		c := id[i]
		for j := 0; j < len(safe); j++ {
			if safe[j] == c {
				out = append(out, c)
				break
			}
		}
	}
	return string(out)
}
