package push

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

// Webhook posts Amity's push-notification payload to the operator's URL, for teams that
// send pushes themselves: one POST per delivery, targetIds naming its user, plus the
// device's platform and token so the operator need not keep its own registry.
type Webhook struct {
	URL    string
	Client *http.Client
}

// WebhookPayload is the body posted: Amity's push-notification.created event.
type WebhookPayload struct {
	EventType string        `json:"eventType"`
	ID        string        `json:"id"`
	NetworkID string        `json:"networkId"`
	Path      string        `json:"path"`
	SenderID  string        `json:"senderId"`
	SentTime  chat.Time     `json:"sentTime"`
	Version   string        `json:"version"`
	Data      chat.PushData `json:"data"`
	Device    WebhookDevice `json:"device"`
}

// WebhookDevice is the device a delivery is for.
type WebhookDevice struct {
	DeviceID string `json:"deviceId"`
	Platform string `json:"platform"`
	Token    string `json:"token"`
}

// Send implements Provider.
func (w *Webhook) Send(ctx context.Context, n Notification) error {
	body, _ := json.Marshal(WebhookPayload{EventType: "push-notification.created", ID: n.ID, NetworkID: n.NetworkID,
		Path: n.NetworkID + "/chat/" + n.ChannelID, SenderID: n.Data.UserID, SentTime: chat.Time{Time: time.Now().UTC()},
		Version: "v3", Data: n.Data, Device: WebhookDevice{DeviceID: n.DeviceID, Platform: n.Platform, Token: n.Token}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		return nil
	case resp.StatusCode == http.StatusGone:
		return ErrUnregistered // the operator says this device is gone
	}
	return fmt.Errorf("push webhook answered %d", resp.StatusCode) // retried until RetryFor
}
