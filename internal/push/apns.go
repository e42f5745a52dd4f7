package push

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/sideshow/apns2"
	"github.com/sideshow/apns2/payload"
	"github.com/sideshow/apns2/token"
)

// APNs sends to iOS devices over HTTP/2 with token (p8) authentication.
type APNs struct {
	client *apns2.Client
	topic  string
}

// APNsOptions: Host defaults to Apple's production host (Sandbox: development);
// HTTPClient replaces the HTTP/2 client (tests: a fake's TLS client).
type APNsOptions struct {
	KeyFile, KeyID, TeamID, Topic string
	Sandbox                       bool
	Host                          string
	HTTPClient                    *http.Client
}

// NewAPNs reads the p8 key.
func NewAPNs(opt APNsOptions) (*APNs, error) {
	raw, err := os.ReadFile(opt.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("APNs key: %w", err)
	}
	key, err := token.AuthKeyFromBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("APNs key: %w", err)
	}
	c := apns2.NewTokenClient(&token.Token{AuthKey: key, KeyID: opt.KeyID, TeamID: opt.TeamID})
	c.Host = apns2.HostProduction
	if opt.Sandbox {
		c.Host = apns2.HostDevelopment
	}
	if opt.Host != "" {
		c.Host = opt.Host
	}
	if opt.HTTPClient != nil {
		c.HTTPClient = opt.HTTPClient
	}
	return &APNs{client: c, topic: opt.Topic}, nil
}

// Send implements Provider.
func (a *APNs) Send(ctx context.Context, n Notification) error {
	p := payload.NewPayload().AlertTitle(n.Data.Title).AlertBody(n.Data.Body).Sound("default").MutableContent()
	for k, v := range dataFields(n) {
		p.Custom(k, v)
	}
	collapse := n.ID
	if len(collapse) > 64 { // APNs refuses longer collapse ids
		collapse = collapse[:64]
	}
	res, err := a.client.PushWithContext(ctx, &apns2.Notification{DeviceToken: n.Token, Topic: a.topic, Payload: p,
		CollapseID: collapse, Priority: apns2.PriorityHigh, PushType: apns2.PushTypeAlert})
	if err != nil {
		return err
	}
	if res.Sent() {
		return nil
	}
	err = fmt.Errorf("APNs answered %d %s", res.StatusCode, res.Reason)
	switch {
	case res.Reason == apns2.ReasonUnregistered || res.Reason == apns2.ReasonBadDeviceToken || res.Reason == apns2.ReasonDeviceTokenNotForTopic:
		return ErrUnregistered
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500 || res.Reason == apns2.ReasonExpiredProviderToken:
		return err
	}
	return Permanent(err)
}
