package chat

import "context"

// Store runs units of work. Read may see a snapshot on a reader connection; Write runs
// on the single writer and commits the state change with its events, or nothing.
type Store interface {
	Read(ctx context.Context, fn func(Tx) error) error
	Write(ctx context.Context, fn func(Tx) error) error
}

// Tx is everything the domain asks of storage inside one unit of work. Each resource
// declares its own part beside its type.
type Tx interface {
	UserStore
	SessionStore
	FileStore
	EventStore
	SettingStore
	ChannelStore
	MessageStore
	MessageFeedStore
	MarkerStore
	WebhookStore
	UserBlockStore
	UserFlagStore
	GlobalBanStore
	AuditStore
	RoleStore
	UserDeleteStore
	WordStore
	PushStore
}

// SettingStore keeps network-wide values such as the network id and the token key.
type SettingStore interface {
	Setting(key string) (string, bool, error)
	PutSetting(key, value string) error
}
