package realtime

import (
	"encoding/json"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
)

// The hand-made event encoding says exactly what json.Marshal says, for data that
// json.Marshal made (every event's data is).
func TestMessageEncodeMatchesJSONMarshal(t *testing.T) {
	data, _ := json.Marshal(map[string]any{"channels": []any{map[string]string{"channelId": "a\"b<>&\u2028"}}})
	for _, m := range []message{
		{EventType: "channel.membersAdded", Data: data, NetworkID: "net", Path: "n/social/channel/x", SentTime: chat.Now(), Version: "v3"},
		{EventType: "user.updated", Data: json.RawMessage(`{}`), NetworkID: "n\u2028", Path: "p/ü", Version: "v3"},
	} {
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got := m.encode()
		if string(got) != string(want) {
			t.Errorf("encode:\n got %s\nwant %s", got, want)
		}
	}
}
