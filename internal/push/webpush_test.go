package push

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	webpush "github.com/SherClockHolmes/webpush-go"
)

// The VAPID token webpush-go signs carries the subject as configured, mailto: or https:
// (it once read mailto:mailto:…): read back from the Authorization header a real push
// service would get.
func TestVAPIDSubject(t *testing.T) {
	for _, subject := range []string{"mailto:ops@example.com", "https://example.com/contact"} {
		got := make(chan string, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got <- r.Header.Get("Authorization")
			w.WriteHeader(http.StatusCreated)
		}))
		priv, pub, err := webpush.GenerateVAPIDKeys()
		if err != nil {
			t.Fatal(err)
		}
		w, err := NewWebPush(WebPushOptions{PublicKey: pub, PrivateKey: priv, Subscriber: subject})
		if err != nil {
			t.Fatal(err)
		}
		browser, _ := ecdh.P256().GenerateKey(rand.Reader)
		auth := make([]byte, 16)
		rand.Read(auth)
		sub, _ := json.Marshal(map[string]any{"endpoint": srv.URL + "/push/1", "keys": map[string]string{
			"p256dh": base64.RawURLEncoding.EncodeToString(browser.PublicKey().Bytes()),
			"auth":   base64.RawURLEncoding.EncodeToString(auth)}})
		var n Notification
		n.ID, n.Token = "n1", string(sub)
		if err := w.Send(context.Background(), n); err != nil {
			t.Fatalf("%s: %v", subject, err)
		}
		srv.Close()
		// "vapid t=<JWT>, k=<key>"
		header := <-got
		jwt := strings.TrimSuffix(strings.SplitN(strings.TrimPrefix(header, "vapid t="), ",", 2)[0], ",")
		parts := strings.Split(jwt, ".")
		if len(parts) != 3 {
			t.Fatalf("%s: no JWT in %q", subject, header)
		}
		claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var c struct{ Sub string }
		json.Unmarshal(claims, &c)
		if c.Sub != subject {
			t.Errorf("token subject %q, want %q", c.Sub, subject)
		}
	}
}
