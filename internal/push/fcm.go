package push

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// FCM sends to Android devices through Firebase Cloud Messaging's HTTP v1 API, with an
// OAuth2 token from a service account (its JSON key; the token endpoint is the key's
// token_uri, which tests point at a fake).
type FCM struct {
	project  string
	endpoint string
	client   *http.Client // carries the OAuth2 token
}

// FCMOptions: Endpoint defaults to https://fcm.googleapis.com; HTTPClient is the base
// client for both the token and the sends.
type FCMOptions struct {
	Endpoint   string
	HTTPClient *http.Client
}

// NewFCM reads a service account's JSON key.
func NewFCM(serviceAccountJSON []byte, opt FCMOptions) (*FCM, error) {
	var key struct {
		ProjectID string `json:"project_id"`
	}
	if err := json.Unmarshal(serviceAccountJSON, &key); err != nil || key.ProjectID == "" {
		return nil, fmt.Errorf("FCM credentials: not a service account key with a project_id")
	}
	cfg, err := google.JWTConfigFromJSON(serviceAccountJSON, "https://www.googleapis.com/auth/firebase.messaging")
	if err != nil {
		return nil, fmt.Errorf("FCM credentials: %w", err)
	}
	if opt.Endpoint == "" {
		opt.Endpoint = "https://fcm.googleapis.com"
	}
	base := opt.HTTPClient
	if base == nil {
		base = http.DefaultClient
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, base)
	return &FCM{project: key.ProjectID, endpoint: strings.TrimSuffix(opt.Endpoint, "/"), client: oauth2.NewClient(ctx, cfg.TokenSource(ctx))}, nil
}

// fcmMessage is the body of messages:send.
type fcmMessage struct {
	Message struct {
		Token        string            `json:"token"`
		Notification fcmNotification   `json:"notification"`
		Data         map[string]string `json:"data"`
		Android      struct {
			CollapseKey string `json:"collapse_key"`
			Priority    string `json:"priority"`
		} `json:"android"`
	} `json:"message"`
}

type fcmNotification struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// Send implements Provider.
func (f *FCM) Send(ctx context.Context, n Notification) error {
	var m fcmMessage
	m.Message.Token = n.Token
	m.Message.Notification = fcmNotification{Title: n.Data.Title, Body: n.Data.Body}
	m.Message.Data = dataFields(n)
	m.Message.Android.CollapseKey, m.Message.Android.Priority = n.ID, "high"
	body, _ := json.Marshal(m)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.endpoint+"/v1/projects/"+f.project+"/messages:send", bytes.NewReader(body))
	if err != nil {
		return Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	// FCM names a dead token UNREGISTERED (404); a token it cannot parse is
	// INVALID_ARGUMENT on the token field (400), as dead.
	var e struct {
		Error struct {
			Status  string `json:"status"`
			Message string `json:"message"`
			Details []struct {
				ErrorCode string `json:"errorCode"`
			} `json:"details"`
		} `json:"error"`
	}
	json.Unmarshal(answer, &e)
	code := e.Error.Status
	for _, d := range e.Error.Details {
		if d.ErrorCode != "" {
			code = d.ErrorCode
		}
	}
	err = fmt.Errorf("FCM answered %d %s: %s", resp.StatusCode, code, e.Error.Message)
	switch {
	case code == "UNREGISTERED" || resp.StatusCode == http.StatusNotFound:
		return ErrUnregistered
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusUnauthorized:
		return err // quota, outage, or a token about to be refreshed: later
	}
	return Permanent(err)
}

// dataFields are the notification's ids for the app (FCM data values are strings).
func dataFields(n Notification) map[string]string {
	return map[string]string{"eventName": n.Data.EventName, "channelId": n.Data.ChannelID, "channelType": n.Data.ChannelType,
		"subChannelId": n.Data.SubChannel, "messageId": n.Data.MessageID, "userId": n.Data.UserID, "notificationId": n.ID}
}
