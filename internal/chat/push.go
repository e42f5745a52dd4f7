package chat

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
)

// Push notifications (docs/push.md). Devices register their tokens; every committed
// event that Amity pushes for becomes one push job in the event's own transaction
// (PushJobFor, called by the store's AppendEvent); internal/push expands a job into one
// delivery per device of the channel's members who want it (ExpandPushJob) and sends
// the deliveries through the configured provider, retrying with back-off.

// Amity's push event names (the notifiableEvents of the settings).
const (
	PushMessageCreated = "message.created"
	PushMentionCreated = "text-mention-message.created"
	PushChannelCreated = "channel.created"
	PushChannelJoined  = "channel.joined"
)

// pushEvents are the notifiable events a user or the network may switch off.
var pushEvents = []string{PushChannelCreated, PushChannelJoined, PushMentionCreated, PushMessageCreated}

// Push platforms: the SDKs register android and ios; browser apps register web with a
// Web Push subscription (its JSON) as the token.
const (
	PlatformAndroid = "android"
	PlatformIOS     = "ios"
	PlatformWeb     = "web"
)

// PushDevice is a registered device token.
type PushDevice struct {
	DeviceID  string
	UserID    string // internal id
	PublicID  string // the user's userId (read with the channel's recipients only)
	Platform  string
	Provider  string
	Token     string
	CreatedAt Time
	UpdatedAt Time
}

// PushSetting is one stored switch: UserID "" is the network's, ChannelID "" the level's
// own, Event "" the level's isPushNotifiable.
type PushSetting struct {
	UserID    string
	ChannelID string
	Event     string
	Enabled   bool
}

// PushJob is one event to push, before it is expanded to devices.
type PushJob struct {
	Seq       int64
	Event     string   // PushMessageCreated, PushChannelCreated, PushChannelJoined
	ChannelID string   // internal id
	SenderID  string   // internal id; never pushed to
	Mentioned []string // userIds mentioned; ["*"]: the whole channel
	Data      PushData
	AfterUser string // expansion cursor: members up to this id have their deliveries
}

// PushData is what a notification says: Amity's push-notification webhook data.
type PushData struct {
	EventName   string   `json:"eventName"`
	IsBroadcast bool     `json:"isBroadcast"`
	TargetIDs   []string `json:"targetIds"`
	Notify      bool     `json:"notify"`
	Title       string   `json:"title"`
	Body        string   `json:"body"`
	ChannelID   string   `json:"channelId"`   // public id
	ChannelType string   `json:"channelType"` // community, conversation, …
	SubChannel  string   `json:"subChannelId,omitempty"`
	MessageID   string   `json:"messageId,omitempty"`
	UserID      string   `json:"userId"` // the sender's public id
	SentTime    Time     `json:"sentTime"`
}

// PushDelivery is one notification for one device.
type PushDelivery struct {
	Seq       int64
	JobSeq    int64
	DeviceID  string
	UserID    string
	Platform  string
	Token     string
	Event     string
	ChannelID string
	Data      PushData
	Attempts  int
	CreatedAt Time
}

// PushResult is how sending a delivery went.
type PushResult struct {
	Seq          int64
	OK           bool   // delivered: the row goes
	Unregistered bool   // the provider says the token is dead: the device goes
	Error        string // why it failed
	Retry        Time   // when to try again; zero with !OK: give up
}

// PushStore is the persistence of devices, settings and the push queue.
type PushStore interface {
	// PutPushDevice registers a device, taking its id and token from whoever held them.
	PutPushDevice(d *PushDevice) error
	// DeletePushDevices removes a user's device (every device when deviceID is "") and
	// its pending deliveries; it returns how many devices went.
	DeletePushDevices(userID, deviceID string) (int, error)
	PushSettings(userID, channelID string) ([]PushSetting, error)
	// PutPushSettings replaces the switches of one level.
	PutPushSettings(userID, channelID string, rows []PushSetting, at Time) error
	// PushSettingsOf reads the switches that decide pushes of a channel to these users:
	// their user level and their level for the channel.
	PushSettingsOf(userIDs []string, channelID string) ([]PushSetting, error)
	// ClaimPushJob leases the oldest job not leased at now, or returns nil.
	ClaimPushJob(now, leaseUntil Time) (*PushJob, error)
	// PushRecipients reads a page of at most limit members of the channel after
	// afterUser (by id): their devices, the page's last member id and its size.
	PushRecipients(channelID, afterUser string, limit int) ([]PushDevice, string, int, error)
	// InsertPushDeliveries adds deliveries; one already there for its job and device is kept.
	InsertPushDeliveries(ds []PushDelivery, now Time) error
	// AdvancePushJob moves a job's cursor (and ends its lease), or deletes it when done.
	AdvancePushJob(seq int64, afterUser string, done bool) error
	// ClaimPushDeliveries leases up to max due deliveries. Of one device's deliveries
	// for one channel only the newest is sent: the older ones are dropped (coalesced).
	ClaimPushDeliveries(now, leaseUntil Time, max int) ([]PushDelivery, error)
	// FinishPushDelivery records an attempt.
	FinishPushDelivery(r PushResult) error
}

// PushJobFor tells whether an event is pushed and, if so, the job it becomes (its
// catalogue row's push rule); the store calls it in AppendEvent, so a job exists iff
// its event committed.
func PushJobFor(e Event) (*PushJob, bool) {
	if push := catalogue[e.Type].Push; push != nil {
		return push(e)
	}
	return nil, false
}

// pushMessage is the push rule of message.created.
func pushMessage(e Event) (*PushJob, bool) {
	p, ok := e.Data.(*MessagePayload)
	if !ok || len(p.Messages) != 1 {
		return nil, false
	}
	m := p.Messages[0]
	sender := userByID(p.Users, m.CreatorID)
	j := &PushJob{Event: PushMessageCreated, ChannelID: m.ChannelID, SenderID: m.CreatorID, Mentioned: []string{},
		Data: PushData{EventName: PushMessageCreated, Notify: true, Title: sender.DisplayName, Body: messageText(m),
			ChannelID: m.ChannelPublicID, ChannelType: m.ChannelType, SubChannel: m.MessageFeedID, MessageID: m.MessageID,
			UserID: sender.UserID, SentTime: m.CreatedAt}}
	for _, mn := range m.MentionedUsers {
		if mn.Type == "channel" {
			j.Mentioned = []string{"*"}
			break
		}
		j.Mentioned = append(j.Mentioned, mn.UserPublicIDs...)
	}
	return j, true
}

// pushChannel is the push rule of channel.created (sent by its creator) and
// channel.joined (by the user who joined), pushed as Amity's event name.
func pushChannel(name string) func(Event) (*PushJob, bool) {
	return func(e Event) (*PushJob, bool) {
		p, ok := e.Data.(*ChannelPayload)
		if !ok || len(p.Channels) != 1 {
			return nil, false
		}
		ch := p.Channels[0]
		sender := ch.CreatorID
		if name == PushChannelJoined && len(e.UserIDs) > 0 {
			sender = e.UserIDs[0]
		}
		u := userByID(p.Users, sender)
		body := u.DisplayName + " created the channel"
		if name == PushChannelJoined {
			body = u.DisplayName + " joined the channel"
		}
		return &PushJob{Event: name, ChannelID: ch.ID, SenderID: sender, Mentioned: []string{},
			Data: PushData{EventName: name, Notify: true, Title: ch.DisplayName, Body: body, ChannelID: ch.ChannelID,
				ChannelType: ch.Type, UserID: u.UserID, SentTime: e.CreatedAt}}, true
	}
}

func userByID(users []User, id string) User {
	for _, u := range users {
		if u.ID == id {
			return u
		}
	}
	return User{}
}

// messageText is a notification's body: the text of a text message, else what was sent.
func messageText(m Message) string {
	if m.DataType == DataText {
		var d struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(m.Data, &d) == nil {
			return truncateRunes(d.Text, 500)
		}
	}
	return "sent a " + m.DataType
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// RegisterDeviceInput is the body of POST /v1/notification.
type RegisterDeviceInput struct {
	DeviceID *string `json:"deviceId"`
	Platform *string `json:"platform"`
	Token    *string `json:"token"`
	UserID   *string `json:"userId"`
	Provider *string `json:"provider"`
}

// RegisterDevice answers POST /v1/notification: the caller's device will get pushes.
// userId must be the caller's own (the SDK sends it).
func (s *Service) RegisterDevice(ctx context.Context, c *Caller, in RegisterDeviceInput) error {
	var p Problems
	p.Required("deviceId", in.DeviceID, 1, 150)
	p.Required("platform", in.Platform, 1, 20)
	p.OneOf("platform", in.Platform, PlatformAndroid, PlatformIOS, PlatformWeb)
	p.Required("token", in.Token, 1, 4000)
	p.Required("userId", in.UserID, 1, 100)
	p.Text("provider", in.Provider, 0, 50)
	if p.Err() == nil {
		switch *in.Platform {
		case PlatformIOS:
			if len(*in.Token) > 400 || strings.Trim(strings.ToLower(*in.Token), "0123456789abcdef") != "" {
				p.Add("token", "must be at most 400 hexadecimal characters for ios")
			}
		case PlatformWeb:
			var sub struct {
				Endpoint string `json:"endpoint"`
			}
			if json.Unmarshal([]byte(*in.Token), &sub) != nil || !strings.HasPrefix(sub.Endpoint, "https://") && !strings.HasPrefix(sub.Endpoint, "http://") {
				p.Add("token", "must be a Web Push subscription (JSON with an endpoint URL) for web")
			} else if len(*in.Token) > 4000 {
				p.Add("token", "is too long")
			}
		default:
			if len(*in.Token) > 1000 {
				p.Add("token", "must be at most 1000 characters")
			}
		}
	}
	if err := p.Err(); err != nil {
		return err
	}
	if c.User == nil || c.User.UserID != *in.UserID {
		return PermissionDenied()
	}
	provider := ""
	if in.Provider != nil {
		provider = *in.Provider
	}
	now := s.now()
	return s.store.Write(ctx, func(tx Tx) error {
		return tx.PutPushDevice(&PushDevice{DeviceID: *in.DeviceID, UserID: c.User.ID, Platform: *in.Platform,
			Provider: provider, Token: *in.Token, CreatedAt: now, UpdatedAt: now})
	})
}

// UnregisterDevice answers DELETE /v1/notification: the caller's device (every device of
// the caller without a deviceId) gets no more pushes. Unknown devices are no error.
func (s *Service) UnregisterDevice(ctx context.Context, c *Caller, userID, deviceID string) error {
	var p Problems
	p.Text("deviceId", &deviceID, 0, 150)
	if err := p.Err(); err != nil {
		return err
	}
	if c.User == nil || userID != "" && userID != c.User.UserID {
		return PermissionDenied()
	}
	return s.store.Write(ctx, func(tx Tx) error {
		_, err := tx.DeletePushDevices(c.User.ID, deviceID)
		return err
	})
}

// NotifiableEvent is one event's switch in the settings.
type NotifiableEvent struct {
	ModuleName       string `json:"moduleName"`
	Name             string `json:"name"`
	IsPushNotifiable bool   `json:"isPushNotifiable"`
}

// NotifiableEventInput is one event's switch as saved.
type NotifiableEventInput struct {
	ModuleName       *string `json:"moduleName"`
	Name             *string `json:"name"`
	IsPushNotifiable *bool   `json:"isPushNotifiable"`
}

// PushSettingsInput is the body of POST /api/v3/notification/setting.
type PushSettingsInput struct {
	Level            *string                 `json:"level"`
	IsPushNotifiable *bool                   `json:"isPushNotifiable"`
	ChannelID        *string                 `json:"channelId"`
	NotifiableEvents *[]NotifiableEventInput `json:"notifiableEvents"`
}

// PushSettingsPayload answers GET /api/v3/notification/setting.
type PushSettingsPayload struct {
	Level            string            `json:"level"`
	ChannelID        *string           `json:"channelId"`
	IsPushNotifiable bool              `json:"isPushNotifiable"`
	NotifiableEvents []NotifiableEvent `json:"notifiableEvents"`
}

// Levels of the settings: a user's own, a user's for one channel, the network's.
const (
	LevelUser    = "user"
	LevelChannel = "channel"
	LevelNetwork = "network"
)

// pushLevel checks a level and its channel and names the rows' owner.
func (s *Service) pushLevel(tx Tx, c *Caller, level string, channelID *string) (userID, chID string, err error) {
	switch level {
	case LevelNetwork:
		return "", "", nil
	case LevelChannel:
		ch, err := tx.ChannelByPublicID(*channelID)
		if err != nil {
			return "", "", err
		}
		if ch == nil || ch.IsDeleted {
			return "", "", NotFound("Channel")
		}
		return c.User.ID, ch.ID, nil
	}
	return c.User.ID, "", nil
}

func checkPushLevel(p *Problems, level, channelID *string) {
	p.Required("level", level, 1, 20)
	p.OneOf("level", level, LevelUser, LevelChannel, LevelNetwork)
	p.Text("channelId", channelID, 1, 100)
	if level != nil && *level == LevelChannel && channelID == nil {
		p.Add("channelId", "is required for the channel level")
	}
}

// PushSettings answers GET /api/v3/notification/setting.
func (s *Service) PushSettings(ctx context.Context, c *Caller, level string, channelID *string) (*PushSettingsPayload, error) {
	var p Problems
	checkPushLevel(&p, &level, channelID)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.User == nil {
		return nil, PermissionDenied()
	}
	out := &PushSettingsPayload{Level: level, IsPushNotifiable: true, NotifiableEvents: []NotifiableEvent{}}
	if level == LevelChannel {
		out.ChannelID = channelID
	}
	err := s.store.Read(ctx, func(tx Tx) error {
		userID, chID, err := s.pushLevel(tx, c, level, channelID)
		if err != nil {
			return err
		}
		rows, err := tx.PushSettings(userID, chID)
		if err != nil {
			return err
		}
		off := map[string]bool{}
		for _, r := range rows {
			if r.Event == "" {
				out.IsPushNotifiable = r.Enabled
			} else {
				off[r.Event] = !r.Enabled
			}
		}
		if level != LevelChannel {
			for _, name := range pushEvents {
				out.NotifiableEvents = append(out.NotifiableEvents, NotifiableEvent{ModuleName: "chat", Name: name, IsPushNotifiable: !off[name]})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SavePushSettings answers POST /api/v3/notification/setting. The network level is the
// admins'. Events not named keep their switch.
func (s *Service) SavePushSettings(ctx context.Context, c *Caller, in PushSettingsInput) error {
	var p Problems
	checkPushLevel(&p, in.Level, in.ChannelID)
	if in.NotifiableEvents != nil {
		evs := *in.NotifiableEvents
		if len(evs) < 1 || len(evs) > len(pushEvents) {
			p.Add("notifiableEvents", "must hold 1 to %d items", len(pushEvents))
		}
		if in.Level != nil && *in.Level == LevelChannel {
			p.Add("notifiableEvents", "is not taken at the channel level")
		}
		for _, e := range evs {
			switch {
			case e.Name == nil || !slices.Contains(pushEvents, *e.Name):
				p.Add("notifiableEvents.name", "must be one of %s", strings.Join(pushEvents, ", "))
			case e.IsPushNotifiable == nil:
				p.Add("notifiableEvents.isPushNotifiable", "is required")
			case e.ModuleName != nil && *e.ModuleName != "chat":
				p.Add("notifiableEvents.moduleName", "must be chat")
			}
		}
	}
	if in.IsPushNotifiable == nil && in.NotifiableEvents == nil {
		p.Add("isPushNotifiable", "or notifiableEvents is required")
	}
	if err := p.Err(); err != nil {
		return err
	}
	if c.User == nil || *in.Level == LevelNetwork && !c.IsAdmin() {
		return PermissionDenied()
	}
	now := s.now()
	return s.store.Write(ctx, func(tx Tx) error {
		userID, chID, err := s.pushLevel(tx, c, *in.Level, in.ChannelID)
		if err != nil {
			return err
		}
		rows, err := tx.PushSettings(userID, chID)
		if err != nil {
			return err
		}
		put := func(event string, on bool) {
			for i := range rows {
				if rows[i].Event == event {
					rows[i].Enabled = on
					return
				}
			}
			rows = append(rows, PushSetting{UserID: userID, ChannelID: chID, Event: event, Enabled: on})
		}
		if in.IsPushNotifiable != nil {
			put("", *in.IsPushNotifiable)
		}
		if in.NotifiableEvents != nil {
			for _, e := range *in.NotifiableEvents {
				put(*e.Name, *e.IsPushNotifiable)
			}
		}
		return tx.PutPushSettings(userID, chID, rows, now)
	})
}

// ExpandPushJob turns up to pageSize members of one due job into deliveries, in one
// transaction; it reports whether it found a job. A job is dropped when its channel is
// silent or the network switched the event off.
func (s *Service) ExpandPushJob(ctx context.Context, now, leaseUntil Time, pageSize int) (bool, error) {
	found := false
	err := s.store.Write(ctx, func(tx Tx) error {
		j, err := tx.ClaimPushJob(now, leaseUntil)
		if err != nil || j == nil {
			found = false
			return err
		}
		found = true
		ch, err := tx.ChannelByID(j.ChannelID)
		if err != nil {
			return err
		}
		network, err := tx.PushSettings("", "")
		if err != nil {
			return err
		}
		if ch == nil || ch.IsDeleted || ch.NotificationMode == NotificationSilent || !allowed(network, "", j.Event) {
			return tx.AdvancePushJob(j.Seq, "", true)
		}
		devices, last, members, err := tx.PushRecipients(j.ChannelID, j.AfterUser, pageSize)
		if err != nil || members == 0 {
			if err != nil {
				return err
			}
			return tx.AdvancePushJob(j.Seq, "", true)
		}
		users := make([]string, 0, len(devices))
		for _, d := range devices {
			users = append(users, d.UserID)
		}
		settings, err := tx.PushSettingsOf(slices.Compact(users), j.ChannelID)
		if err != nil {
			return err
		}
		// Nobody is pushed what a user they blocked did (docs/push.md).
		blockers, err := tx.BlockersOf(j.SenderID, slices.Compact(users))
		if err != nil {
			return err
		}
		mentionOK := allowed(network, "", PushMentionCreated)
		var out []PushDelivery
		for _, d := range devices {
			if d.UserID == j.SenderID || slices.Contains(blockers, d.UserID) {
				continue
			}
			event := j.Event
			if event == PushMessageCreated && mentionOK && (slices.Contains(j.Mentioned, "*") || slices.Contains(j.Mentioned, d.PublicID)) {
				event = PushMentionCreated
			}
			if !allowedFor(settings, d.UserID, j.ChannelID, event) {
				continue
			}
			data := j.Data
			data.EventName = event
			data.TargetIDs = []string{d.PublicID}
			out = append(out, PushDelivery{JobSeq: j.Seq, DeviceID: d.DeviceID, UserID: d.UserID, Platform: d.Platform,
				Token: d.Token, Event: event, ChannelID: j.ChannelID, Data: data})
		}
		if err := tx.InsertPushDeliveries(out, now); err != nil {
			return err
		}
		return tx.AdvancePushJob(j.Seq, last, members < pageSize)
	})
	return found, err
}

// allowed reads a level's switches: its isPushNotifiable and the event's own.
func allowed(rows []PushSetting, channelID, event string) bool {
	for _, r := range rows {
		if r.ChannelID == channelID && (r.Event == "" || r.Event == event) && !r.Enabled {
			return false
		}
	}
	return true
}

// allowedFor reads a user's user level and channel level.
func allowedFor(rows []PushSetting, userID, channelID, event string) bool {
	for _, r := range rows {
		if r.UserID != userID || r.Enabled {
			continue
		}
		if r.ChannelID == "" && (r.Event == "" || r.Event == event) || r.ChannelID == channelID && r.Event == "" {
			return false
		}
	}
	return true
}

// ClaimPushDeliveries leases due deliveries for a sender (internal/push).
func (s *Service) ClaimPushDeliveries(ctx context.Context, now, leaseUntil Time, max int) ([]PushDelivery, error) {
	var out []PushDelivery
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ClaimPushDeliveries(now, leaseUntil, max)
		return err
	})
	return out, err
}

// FinishPushDelivery records how sending a delivery went.
func (s *Service) FinishPushDelivery(ctx context.Context, r PushResult) error {
	return s.store.Write(ctx, func(tx Tx) error { return tx.FinishPushDelivery(r) })
}

// forgetSessionDevice unregisters, at logout, the device the session logged in from:
// a signed-out phone gets no more pushes for that user.
func (s *Service) forgetSessionDevice(tx Tx, c *Caller) error {
	sess, err := tx.SessionByID(c.SessionID)
	if err != nil || sess == nil || sess.DeviceID == "" || c.User == nil {
		return err
	}
	_, err = tx.DeletePushDevices(c.User.ID, sess.DeviceID)
	return err
}
