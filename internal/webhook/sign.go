package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
)

// Headers a delivery carries besides Content-Type.
const (
	// HeaderAmitySignature is Amity's: base64 of HMAC-SHA256 over the raw body, keyed
	// by the secret's bytes as given, so receivers written for Amity verify it unchanged.
	HeaderAmitySignature = "X-Amity-Signature"
	// Standard Webhooks (standardwebhooks.com): id, Unix seconds, and
	// "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body)).
	HeaderID        = "Webhook-Id"
	HeaderTimestamp = "Webhook-Timestamp"
	HeaderSignature = "Webhook-Signature"
)

// AmitySignature is the x-amity-signature value of a body.
func AmitySignature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// StandardSignature is the webhook-signature value. The key is the secret's base64 part
// when the secret has the Standard Webhooks form (whsec_<base64>), as their libraries
// expect, and the secret's bytes otherwise.
func StandardSignature(secret, id string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, standardKey(secret))
	m.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func standardKey(secret string) []byte {
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if key, err := base64.StdEncoding.DecodeString(rest); err == nil {
			return key
		}
	}
	return []byte(secret)
}

// Sign sets the headers of a request carrying body.
func Sign(h http.Header, secret, id string, timestamp int64, body []byte) {
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Parley-Webhooks/1")
	h.Set(HeaderAmitySignature, AmitySignature(secret, body))
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(timestamp, 10))
	h.Set(HeaderSignature, StandardSignature(secret, id, timestamp, body))
}
