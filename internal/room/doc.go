// Package room is the live-room domain: rooms (create, update, delete, query, stop),
// their participants (hosts and co-hosts, leave, remove, update), viewer bans,
// co-host invitations, broadcast (broadcaster tokens, recorded URLs) and the media
// status the media server reports (live, recorded, presence; internal/media calls
// ApplyMediaStatus and ApplyMediaPresence). Media is the media server as rooms use it;
// internal/media implements it.
//
// Rooms keep their own part of storage, Stores (RoomStore, RoomMediaStore,
// InvitationStore), which internal/store's transaction implements beside chat.Tx. A
// room's unit of work is one of chat's (chat.Service.Read and Write, unwrapped with
// chat.StoreTx), seen as Tx: chat.Tx and Stores on the same transaction. So a room's
// change, its events and a live chat's channel commit together, events are dated by the
// one service clock, and the commit wakes the relay as chat's own do.
//
// What rooms borrow from chat, and why:
//   - the domain's vocabulary: chat.Caller, chat.Error and its codes, chat.Problems,
//     chat.Time and the service clock (chat.Service.Now), cursors and paging
//     (chat.FetchPage), users and files as every payload answers them
//     (DecorateUsers, UserFiles, Files, RequireImage), so a room payload's users are
//     exactly a channel payload's;
//   - events: a room's events are chat.Event values with chat's EventRoom… types,
//     appended through chat.Tx in the room's own transaction, because one outbox and
//     one catalogue carry every event to MQTT, webhooks and push;
//   - a room's live chat is a chat channel: rooms create it with
//     chat.Service.CreateChannelIn inside their transaction. The one call the other
//     way, POST /api/v3/channels with a roomId, reaches rooms through chat.RoomChats,
//     which New registers, so chat never imports room.
//
// httpapi serves rooms' routes through a *Service it is given; realtime's room topic
// ACL asks Service.CanReadRoom through an interface of its own.
package room
