package webhook_test

// The receiver's side, runnable: go test -run Example ./internal/webhook
// (docs/webhooks.md shows the same code). It uses the standard library only, as an
// operator's receiver would, and checks a request Parley signed.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/webhook"
)

// verifyAmity checks x-amity-signature: base64(HMAC-SHA256(secret, raw body)).
func verifyAmity(secret string, body []byte, header string) bool {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(want), []byte(header))
}

// verifyStandard checks the Standard Webhooks headers: webhook-signature holds one or
// more "v1,<base64>" separated by spaces, each HMAC-SHA256(key, id.timestamp.body), where
// key is the base64 part of a whsec_ secret; webhook-timestamp must be recent.
func verifyStandard(secret string, h http.Header, body []byte, now time.Time) bool {
	key := []byte(secret)
	if k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_")); strings.HasPrefix(secret, "whsec_") && err == nil {
		key = k
	}
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false // too old or from the future: a replayed request
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "."))
	m.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

func Example_verifySignatures() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // the raw bytes: never re-encode before checking
		fmt.Println("x-amity-signature ok:", verifyAmity(secret, body, r.Header.Get("x-amity-signature")))
		fmt.Println("webhook-signature ok:", verifyStandard(secret, r.Header, body, time.Now()))
		fmt.Println("tampered body ok:", verifyAmity(secret, append(body, ' '), r.Header.Get("x-amity-signature")))
		w.WriteHeader(http.StatusNoContent) // any 2xx: delivered
	}))
	defer receiver.Close()

	// What a dispatcher sends for one delivery (the test helper signs as it does).
	body, _ := webhook.Body("message.didCreate", []byte(`{"messages":[],"users":[]}`))
	req, _ := http.NewRequest("POST", receiver.URL, strings.NewReader(string(body)))
	webhook.Sign(req.Header, secret, "42", time.Now().Unix(), body)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	// Output:
	// x-amity-signature ok: true
	// webhook-signature ok: true
	// tampered body ok: false
}
