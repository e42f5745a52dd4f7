package store

// MemberChannelIDs lists the channels (internal ids) a user is a member of, on the index
// channel_members_of_user: deleting a user with deleteAll leaves each of them.
func (t *tx) MemberChannelIDs(userID string) ([]string, error) {
	return queryAll(t, scanString, memberOf+` ORDER BY channel_id`, userID)
}
