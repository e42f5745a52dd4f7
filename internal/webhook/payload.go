package webhook

import (
	"encoding/json"

	"github.com/parley-chat/parley/internal/chat"
)

// Body is the JSON a delivery posts: Amity's webhook envelope, {"event", "data"}, with
// data in the shape Amity documents for the event (docs/webhooks.md lists them). It is
// made from the event's data as the outbox holds it (the payload MQTT clients get), so
// every attempt of a delivery posts the same bytes.
func Body(event string, data []byte) ([]byte, error) {
	shaped, err := shape(event, data)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Event string          `json:"event"`
		Data  json.RawMessage `json:"data"`
	}{event, shaped})
}

// shape turns the MQTT payload of an event into Amity's webhook data for it.
func shape(event string, data []byte) (json.RawMessage, error) {
	var in map[string]json.RawMessage
	if len(data) == 0 {
		data = []byte("{}")
	}
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, err
	}
	out := map[string]json.RawMessage{}
	keep := func(keys ...string) {
		for _, k := range keys {
			if v, ok := in[k]; ok {
				out[k] = v
			} else {
				out[k] = json.RawMessage("[]")
			}
		}
	}
	// The shape is the event catalogue's, named by the row that sends this event.
	shape, _ := chat.WebhookShapeOf(event)
	switch shape {
	case chat.WebhookChannel, chat.WebhookChannelUpdate, chat.WebhookChannelClose:
		// Amity names the channel list `channel`; the users concerned are the changed
		// memberships' public ids.
		out["channel"] = orEmpty(in["channels"])
		if shape != chat.WebhookChannelClose {
			keep("users")
		}
		if shape == chat.WebhookChannel {
			out["userIds"] = memberUserIDs(in["channelUsers"])
		}
	case chat.WebhookReaction:
		keep("messages", "users")
		var r []struct {
			UserPublicID string `json:"userPublicId"`
			ReactionName string `json:"reactionName"`
		}
		json.Unmarshal(in["reactions"], &r)
		if len(r) > 0 {
			out["reactor"], _ = json.Marshal(map[string]string{"userId": r[0].UserPublicID, "reactionName": r[0].ReactionName})
		}
	case chat.WebhookMessage:
		keep("messages", "users")
	default:
		return data, nil // WebhookWhole: v5 message events, user.*, webhook.didDisable
	}
	return json.Marshal(out)
}

func orEmpty(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("[]")
	}
	return v
}

// memberUserIDs lists the public user ids of a payload's channelUsers.
func memberUserIDs(raw json.RawMessage) json.RawMessage {
	var members []struct {
		UserID string `json:"userId"`
	}
	json.Unmarshal(raw, &members)
	ids := make([]string, 0, len(members))
	for _, m := range members {
		ids = append(ids, m.UserID)
	}
	b, _ := json.Marshal(ids)
	return b
}
