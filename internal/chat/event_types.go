package chat

import "strings"

// Event types: Amity's eventType of each event the domain appends, and the internal.*
// ones that only the nodes hear. Every use, in chat and in the real-time layer, names
// the constant.
const (
	EventChannelCreated        = "channel.created"
	EventChannelUpdated        = "channel.updated"
	EventChannelDeleted        = "channel.deleted"
	EventChannelJoined         = "channel.joined"
	EventChannelLeft           = "channel.left"
	EventChannelMembersAdded   = "channel.membersAdded"
	EventChannelMembersRemoved = "channel.membersRemoved"
	EventChannelBanned         = "channel.banned"
	EventChannelUnbanned       = "channel.unbanned"
	EventChannelRoleAdded      = "channel.roleAdded"
	EventChannelRoleRemoved    = "channel.roleRemoved"
	EventChannelSetMuted       = "channel.setMuted"
	EventChannelSetMutedUsers  = "channel.setMutedUsers"

	EventMessageCreated         = "message.created"
	EventMessageUpdated         = "message.updated"
	EventMessageDeleted         = "message.deleted"
	EventMessageFlagged         = "message.flagged"
	EventMessageUnflagged       = "message.unflagged"
	EventMessageFlagCleared     = "message.flagCleared"
	EventMessageReactionAdded   = "message.reactionAdded"
	EventMessageReactionRemoved = "message.reactionRemoved"

	EventRoomDidUpdate          = "room.didUpdate"
	EventRoomStartBroadcasting  = "room.startBroadcasting"
	EventRoomWaitingReconnect   = "room.waitingReconnect"
	EventRoomEndBroadcasting    = "room.endBroadcasting"
	EventRoomRecordedAvailable  = "room.recordedAvailable"
	EventRoomTerminated         = "room.terminated"
	EventRoomParticipantJoined  = "room.participantJoined"
	EventRoomParticipantLeft    = "room.participantLeft"
	EventRoomParticipantRemoved = "room.participantRemoved"
	EventRoomUsersBanned        = "room.usersBanned"
	EventRoomUsersUnbanned      = "room.usersUnbanned"
	EventRoomCohostInvite       = "room.didCohostInvite"
	EventRoomCohostInviteAccept = "room.didCohostInviteAccept"
	EventRoomCohostInviteReject = "room.didCohostInviteReject"
	EventRoomCohostInviteCancel = "room.didCohostInviteCancel"

	EventUserUpdated = "user.updated"
	EventUserDeleted = "user.deleted"
	// EventUserDidGlobalBan tells the banned user's clients (on the user's own topic) to
	// end the session: the SDK then aborts every request with 400312.
	EventUserDidGlobalBan = "user.didGlobalBan"
	// Block events, published to the blocker's and the blocked user's own topics.
	EventUserBlocked   = "user.blocked"
	EventUserUnblocked = "user.unblocked"
	// User flag events. Their data is the flagged user's UserPayload; they go to the
	// actor's own topic (the flagged user is not told who reported them).
	EventUserFlagged     = "user.flagged"
	EventUserUnflagged   = "user.unflagged"
	EventUserFlagCleared = "user.flagCleared"

	EventMarkerUserFeedUpdated = "marker.userFeed-updated"

	// EventChannelAccessRevoked is an internal event: users lost the right to read a
	// channel (banned, removed or left), and the real-time layer must drop their
	// subscriptions to its path. Never published to clients.
	EventChannelAccessRevoked = internalEventPrefix + "channelAccessRevoked"
	// EventSessionRevoked is an internal event: nodes drop cached sessions and close the
	// MQTT connections of the revoked sessions. Never published to clients.
	EventSessionRevoked = internalEventPrefix + "sessionsRevoked"
)

// internalEventPrefix starts the types of events for the nodes only.
const internalEventPrefix = "internal."

// IsInternalEvent tells whether an event type is for the nodes only (cache
// invalidation, connection cut-off), never published to clients.
func IsInternalEvent(eventType string) bool { return strings.HasPrefix(eventType, internalEventPrefix) }
