// Package push sends push notifications (docs/push.md): it expands the push jobs the
// store wrote beside each committed event into per-device deliveries, claims due
// deliveries and sends each through the provider of its device's platform (FCM, APNs,
// Web Push) or, in webhook mode, to the operator's URL; it retries with back-off and
// removes devices whose token a provider says is dead.
package push

import (
	"context"
	"errors"
	"fmt"

	"github.com/parley-chat/parley/internal/chat"
)

// Provider sends one notification to one device. Its error says what to do next:
// nil delivered; ErrUnregistered the token is dead (the device is removed); a
// Permanent error gives up on this delivery; any other error is retried.
type Provider interface {
	Send(ctx context.Context, n Notification) error
}

// Notification is one delivery as a provider sends it.
type Notification struct {
	chat.PushDelivery
	// ID is the same for every attempt of a delivery: providers use it (APNs
	// apns-collapse-id, FCM collapse key, Web Push Topic, the webhook's id) so that a
	// notification sent again after a crash replaces the first on the device.
	ID        string
	NetworkID string
}

// errNoProvider: push is off for the delivery's platform; it is given up quietly.
var errNoProvider = errors.New("no push provider configured for platform")

// ErrUnregistered is a provider's answer that the token no longer exists.
var ErrUnregistered = errors.New("push token unregistered")

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks an error that sending again will not mend (a malformed request, a
// wrong key): the delivery is given up.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent tells whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Router picks a delivery's provider: the webhook for every delivery when set, else the
// provider of the device's platform. A platform without one is given up.
type Router struct {
	Android, IOS, Web Provider
	Webhook           Provider
}

// Send implements Provider.
func (r Router) Send(ctx context.Context, n Notification) error {
	if r.Webhook != nil {
		return r.Webhook.Send(ctx, n)
	}
	var p Provider
	switch n.Platform {
	case chat.PlatformAndroid:
		p = r.Android
	case chat.PlatformIOS:
		p = r.IOS
	case chat.PlatformWeb:
		p = r.Web
	}
	if p == nil {
		return Permanent(fmt.Errorf("%w %q", errNoProvider, n.Platform))
	}
	return p.Send(ctx, n)
}

// Configured tells whether any provider is set: without one push is off.
func (r Router) Configured() bool {
	return r.Android != nil || r.IOS != nil || r.Web != nil || r.Webhook != nil
}

// notificationID is a delivery's stable id: its job and device.
func notificationID(d chat.PushDelivery) string {
	return fmt.Sprintf("parley-%d-%s", d.JobSeq, d.DeviceID)
}
