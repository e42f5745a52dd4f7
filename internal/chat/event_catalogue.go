package chat

import "strings"

// The event catalogue: one row per event type, stating everything the rest of the
// system does with an event of that type. The real-time layer, the webhook and push
// dispatchers and the store read the row; none of them decides by the type's text, so
// adding an event is one row here plus its payload (docs/development.md).

// EventSpec is an event type's row.
type EventSpec struct {
	// Feed is the per-user topic the event's receivers read it on. The SDK does not
	// dispatch on the topic, but each family goes where the SDK expects it.
	Feed Feed
	// Path is the object of the payload the event stands at under its channel's path,
	// so that one publish reaches subscribers of the channel, sub-channel and message.
	Path ObjectPath
	// Members is the event's effect on the channel's member set (the relay's cache).
	Members MemberEffect
	// Cuts says whose access the event re-checks: its UserIDs' (everyone's when it
	// names none) on its channel or room, before it is published.
	Cuts AccessCut
	// Webhooks are the Amity webhook events it is sent as; none: no webhook.
	Webhooks []WebhookEvent
	// Push makes the push job of an event, or tells it is not pushed; nil: never.
	Push func(Event) (*PushJob, bool)
	// Internal events are for the nodes only (cache invalidation, connection
	// cut-off), never published to clients.
	Internal bool

	webhookNames []string // Webhooks' names, made once: the store asks for every event
}

// Feed is a per-user topic family.
type Feed int

const (
	FeedOwn          Feed = iota // the user's own topic (user.*, room.*, the rest)
	FeedChannels                 // smartfeed …/channels
	FeedMessages                 // smartfeed …/messages
	FeedMessageFeeds             // smartfeed …/messagefeeds
	FeedMarkers                  // the user's marker topic
)

// ObjectPath is where under its channel's path an event is published.
type ObjectPath int

const (
	PathChannel     ObjectPath = iota // the channel's own path
	PathMessage                       // the path of the payload's first message
	PathMessageFeed                   // the path of the payload's first message feed
)

// MemberEffect is what an event does to its channel's member set.
type MemberEffect int

const (
	MembersKept    MemberEffect = iota
	MembersAdd                  // its UserIDs became members
	MembersRemove               // its UserIDs are members no more
	MembersUnknown              // the set is new or gone: forget it, reload when asked
)

// AccessCut is which object's read access an event may have taken away.
type AccessCut int

const (
	CutNone AccessCut = iota
	CutChannel
	CutRoom
)

// WebhookEvent is one Amity webhook event and the shape of its data.
type WebhookEvent struct {
	Name  string
	Shape WebhookShape
}

// WebhookShape is how a webhook's data is made from the event's MQTT payload
// (internal/webhook builds it; docs/webhooks.md lists the fields).
type WebhookShape int

const (
	webhookShapeNone     WebhookShape = iota // a row without a shape fails the catalogue test
	WebhookWhole                             // the payload as it is
	WebhookChannel                           // channel, users, userIds (the changed members)
	WebhookChannelUpdate                     // channel, users
	WebhookChannelClose                      // channel
	WebhookMessage                           // messages, users
	WebhookReaction                          // messages, users, reactor
)

// The rows. Rows share values through these: a family's events route alike.
var (
	channelRow  = EventSpec{Feed: FeedChannels}
	messageRow  = EventSpec{Feed: FeedMessages, Path: PathMessage}
	feedRow     = EventSpec{Feed: FeedMessageFeeds, Path: PathMessageFeed}
	ownTopicRow = EventSpec{Feed: FeedOwn}
)

func row(base EventSpec, edit func(*EventSpec)) EventSpec {
	if edit != nil {
		edit(&base)
	}
	return base
}

func hooks(names ...WebhookEvent) func(*EventSpec) {
	return func(s *EventSpec) { s.Webhooks = names }
}

// A message event is sent in Amity's two shapes: v3 (`message.did*`: messages and
// users) and v5 (`v5.message.did*`: the whole payload); an endpoint takes the ones it
// names.
func messageHooks(verb string) func(*EventSpec) {
	return hooks(WebhookEvent{"message." + verb, WebhookMessage}, WebhookEvent{"v5.message." + verb, WebhookWhole})
}

var catalogue = map[EventType]EventSpec{
	EventChannelCreated: row(channelRow, func(s *EventSpec) {
		s.Members, s.Push = MembersUnknown, pushChannel(PushChannelCreated)
		s.Webhooks = []WebhookEvent{{"channel.didCreate", WebhookChannel}}
	}),
	EventChannelUpdated: row(channelRow, hooks(WebhookEvent{"channel.didUpdate", WebhookChannelUpdate})),
	EventChannelDeleted: row(channelRow, func(s *EventSpec) {
		s.Members, s.Cuts = MembersUnknown, CutChannel
		s.Webhooks = []WebhookEvent{{"channel.didClose", WebhookChannelClose}}
	}),
	EventChannelJoined: row(channelRow, func(s *EventSpec) {
		s.Members, s.Push = MembersAdd, pushChannel(PushChannelJoined)
		s.Webhooks = []WebhookEvent{{"channel.didJoin", WebhookChannel}}
	}),
	EventChannelLeft: row(channelRow, func(s *EventSpec) {
		s.Members, s.Cuts = MembersRemove, CutChannel
		s.Webhooks = []WebhookEvent{{"channel.didLeave", WebhookChannel}}
	}),
	EventChannelMembersAdded: row(channelRow, func(s *EventSpec) {
		s.Members = MembersAdd
		s.Webhooks = []WebhookEvent{{"channel.didAddUsers", WebhookChannel}}
	}),
	EventChannelMembersRemoved: row(channelRow, func(s *EventSpec) {
		s.Members, s.Cuts = MembersRemove, CutChannel
		s.Webhooks = []WebhookEvent{{"channel.didRemoveUsers", WebhookChannel}}
	}),
	EventChannelBanned: row(channelRow, func(s *EventSpec) {
		s.Members, s.Cuts = MembersRemove, CutChannel
		s.Webhooks = []WebhookEvent{{"channel.didBan", WebhookChannel}}
	}),
	EventChannelUnbanned:      channelRow,
	EventChannelRoleAdded:     channelRow,
	EventChannelRoleRemoved:   channelRow,
	EventChannelSetMuted:      channelRow,
	EventChannelSetMutedUsers: channelRow,

	EventMessageCreated: row(messageRow, func(s *EventSpec) {
		messageHooks("didCreate")(s)
		s.Push = pushMessage
	}),
	EventMessageUpdated:         row(messageRow, messageHooks("didUpdate")),
	EventMessageDeleted:         row(messageRow, messageHooks("didDelete")),
	EventMessageFlagged:         row(messageRow, hooks(WebhookEvent{"message.didFlag", WebhookMessage})),
	EventMessageUnflagged:       row(messageRow, hooks(WebhookEvent{"message.didUnflag", WebhookMessage})),
	EventMessageFlagCleared:     row(messageRow, hooks(WebhookEvent{"message.didClearflag", WebhookMessage})), // sic: Amity's spelling
	EventMessageReactionAdded:   row(messageRow, hooks(WebhookEvent{"message.didAddReaction", WebhookReaction})),
	EventMessageReactionRemoved: row(messageRow, hooks(WebhookEvent{"message.didRemoveReaction", WebhookReaction})),

	EventMessageFeedCreated: feedRow,
	EventMessageFeedUpdated: feedRow,
	EventMessageFeedDeleted: feedRow,

	// Room events reach their room's path and the users they name; a deleted room is
	// announced as room.didUpdate, so only a viewer ban cuts room access.
	EventRoomDidUpdate:          ownTopicRow,
	EventRoomStartBroadcasting:  ownTopicRow,
	EventRoomWaitingReconnect:   ownTopicRow,
	EventRoomEndBroadcasting:    ownTopicRow,
	EventRoomRecordedAvailable:  ownTopicRow,
	EventRoomTerminated:         ownTopicRow,
	EventRoomParticipantJoined:  ownTopicRow,
	EventRoomParticipantLeft:    ownTopicRow,
	EventRoomParticipantRemoved: ownTopicRow,
	EventRoomUsersBanned:        row(ownTopicRow, func(s *EventSpec) { s.Cuts = CutRoom }),
	EventRoomUsersUnbanned:      ownTopicRow,
	EventRoomCohostInvite:       ownTopicRow,
	EventRoomCohostInviteAccept: ownTopicRow,
	EventRoomCohostInviteReject: ownTopicRow,
	EventRoomCohostInviteCancel: ownTopicRow,

	EventUserUpdated:      row(ownTopicRow, hooks(WebhookEvent{"user.didUpdate", WebhookWhole})),
	EventUserDeleted:      ownTopicRow,
	EventUserDidGlobalBan: ownTopicRow,
	EventUserBlocked:      ownTopicRow,
	EventUserUnblocked:    ownTopicRow,
	EventUserFlagged:      row(ownTopicRow, hooks(WebhookEvent{"user.didFlag", WebhookWhole})),
	EventUserUnflagged:    row(ownTopicRow, hooks(WebhookEvent{"user.didUnflag", WebhookWhole})),
	EventUserFlagCleared:  row(ownTopicRow, hooks(WebhookEvent{"user.didClearFlag", WebhookWhole})),

	EventMarkerUserFeedUpdated: {Feed: FeedMarkers},

	// The webhook admin topic: it reaches no MQTT client (it names no channel, room or
	// user); endpoints that take it are told.
	EventWebhookDisabled: {Webhooks: []WebhookEvent{{string(EventWebhookDisabled), WebhookWhole}}},

	EventChannelAccessRevoked: {Internal: true, Members: MembersRemove, Cuts: CutChannel},
	EventSessionRevoked:       {Internal: true},
}

// webhookShapes maps each Amity webhook event name to its shape.
var webhookShapes = map[string]WebhookShape{}

func init() {
	for t, s := range catalogue {
		for _, w := range s.Webhooks {
			s.webhookNames = append(s.webhookNames, w.Name)
			webhookShapes[w.Name] = w.Shape
		}
		catalogue[t] = s
	}
}

// SpecOf is an event type's row. The catalogue test keeps every constant known, but an
// outbox may hold a type this node does not (written by a newer node in a rolling
// upgrade): one named internal.* stays on the nodes, never leaked to clients; any other
// gets the zero row (the named users' own topics, nothing else).
func SpecOf(t EventType) EventSpec {
	s, ok := catalogue[t]
	if !ok && strings.HasPrefix(string(t), internalEventPrefix) {
		s.Internal = true
	}
	return s
}

// WebhookShapeOf is the shape of an Amity webhook event's data; ok is false for a name
// no row sends.
func WebhookShapeOf(name string) (WebhookShape, bool) {
	s, ok := webhookShapes[name]
	return s, ok
}
