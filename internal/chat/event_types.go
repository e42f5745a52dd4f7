package chat

// EventType is an event's name: Amity's eventType of the events clients hear, and the
// internal.* ones that only the nodes hear. What each type does is its row in the
// catalogue (event_catalogue.go); nothing matches a type by its text.
type EventType string

// Event types. Every use, in chat and in the real-time layer, names the constant.
const (
	EventChannelCreated        EventType = "channel.created"
	EventChannelUpdated        EventType = "channel.updated"
	EventChannelDeleted        EventType = "channel.deleted"
	EventChannelJoined         EventType = "channel.joined"
	EventChannelLeft           EventType = "channel.left"
	EventChannelMembersAdded   EventType = "channel.membersAdded"
	EventChannelMembersRemoved EventType = "channel.membersRemoved"
	EventChannelBanned         EventType = "channel.banned"
	EventChannelUnbanned       EventType = "channel.unbanned"
	EventChannelRoleAdded      EventType = "channel.roleAdded"
	EventChannelRoleRemoved    EventType = "channel.roleRemoved"
	EventChannelSetMuted       EventType = "channel.setMuted"
	EventChannelSetMutedUsers  EventType = "channel.setMutedUsers"

	EventMessageCreated         EventType = "message.created"
	EventMessageUpdated         EventType = "message.updated"
	EventMessageDeleted         EventType = "message.deleted"
	EventMessageFlagged         EventType = "message.flagged"
	EventMessageUnflagged       EventType = "message.unflagged"
	EventMessageFlagCleared     EventType = "message.flagCleared"
	EventMessageReactionAdded   EventType = "message.reactionAdded"
	EventMessageReactionRemoved EventType = "message.reactionRemoved"

	EventRoomDidUpdate          EventType = "room.didUpdate"
	EventRoomStartBroadcasting  EventType = "room.startBroadcasting"
	EventRoomWaitingReconnect   EventType = "room.waitingReconnect"
	EventRoomEndBroadcasting    EventType = "room.endBroadcasting"
	EventRoomRecordedAvailable  EventType = "room.recordedAvailable"
	EventRoomTerminated         EventType = "room.terminated"
	EventRoomParticipantJoined  EventType = "room.participantJoined"
	EventRoomParticipantLeft    EventType = "room.participantLeft"
	EventRoomParticipantRemoved EventType = "room.participantRemoved"
	EventRoomUsersBanned        EventType = "room.usersBanned"
	EventRoomUsersUnbanned      EventType = "room.usersUnbanned"
	EventRoomCohostInvite       EventType = "room.didCohostInvite"
	EventRoomCohostInviteAccept EventType = "room.didCohostInviteAccept"
	EventRoomCohostInviteReject EventType = "room.didCohostInviteReject"
	EventRoomCohostInviteCancel EventType = "room.didCohostInviteCancel"

	EventUserUpdated EventType = "user.updated"
	EventUserDeleted EventType = "user.deleted"
	// EventUserDidGlobalBan tells the banned user's clients (on the user's own topic) to
	// end the session: the SDK then aborts every request with 400312.
	EventUserDidGlobalBan EventType = "user.didGlobalBan"
	// Block events, published to the blocker's and the blocked user's own topics.
	EventUserBlocked   EventType = "user.blocked"
	EventUserUnblocked EventType = "user.unblocked"
	// User flag events. Their data is the flagged user's UserPayload; they go to the
	// actor's own topic (the flagged user is not told who reported them).
	EventUserFlagged     EventType = "user.flagged"
	EventUserUnflagged   EventType = "user.unflagged"
	EventUserFlagCleared EventType = "user.flagCleared"

	EventMarkerUserFeedUpdated EventType = "marker.userFeed-updated"

	EventMessageFeedCreated EventType = "message-feed.created"
	EventMessageFeedUpdated EventType = "message-feed.updated"
	EventMessageFeedDeleted EventType = "message-feed.deleted"

	// EventChannelAccessRevoked is an internal event that the domain appended beside a
	// ban, removal or leave until those events cut access by their own rows. It is no
	// longer appended; its row stays so that an outbox written by an older node still
	// drains the same way.
	EventChannelAccessRevoked EventType = internalEventPrefix + "channelAccessRevoked"
	// EventSessionRevoked is an internal event: nodes drop cached sessions and close the
	// MQTT connections of the revoked sessions. Never published to clients.
	EventSessionRevoked EventType = internalEventPrefix + "sessionsRevoked"
)

// internalEventPrefix starts the types of events for the nodes only.
const internalEventPrefix = "internal."

// IsInternalEvent tells whether an event type is for the nodes only (cache
// invalidation, connection cut-off), never published to clients.
func IsInternalEvent(t EventType) bool { return SpecOf(t).Internal }
