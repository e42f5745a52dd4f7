package chat

import "encoding/json"

// MessagePreview is a channel's newest message as ChannelPayload.messagePreviews carries it.
type MessagePreview struct {
	MessageID       string          `json:"messageId"`
	ParentID        *string         `json:"parentId"`
	ChannelID       string          `json:"channelId"` // internal id
	ChannelPublicID string          `json:"channelPublicId"`
	MessageFeedID   string          `json:"messageFeedId"`
	Data            json.RawMessage `json:"data"`
	DataType        string          `json:"dataType"`
	CreatorID       string          `json:"creatorId"` // internal id
	CreatorPublicID string          `json:"creatorPublicId"`
	IsDeleted       bool            `json:"isDeleted"`
	Segment         int64           `json:"segment"`
	CreatedAt       Time            `json:"createdAt"`
	UpdatedAt       Time            `json:"updatedAt"`
}

// MessageFeedInfo names the feed a preview comes from (ChannelPayload.messageFeedsInfo).
type MessageFeedInfo struct {
	MessagePreviewID string `json:"messagePreviewId"`
	MessageFeedID    string `json:"messageFeedId"`
	Name             string `json:"name"`
	CreatedAt        Time   `json:"createdAt"`
	UpdatedAt        Time   `json:"updatedAt"`
}

// addPreviews fills a channel payload's messagePreviews and messageFeedsInfo from each
// channel's messagePreviewId, when the network's chat settings turn previews on. A
// deleted preview is shown with isDeleted true (messagePreview.isIncludeDeleted).
func (s *Service) addPreviews(tx Tx, out *ChannelPayload) error {
	if !s.ChatSettings().MessagePreview.Enabled {
		return nil
	}
	var ids []string
	public := map[string]string{}
	for _, ch := range out.Channels {
		public[ch.ID] = ch.ChannelID
		if ch.MessagePreviewID != nil {
			ids = append(ids, *ch.MessagePreviewID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	msgs, err := tx.MessagesByIDs(Unique(ids))
	if err != nil {
		return err
	}
	var feedIDs, creators []string
	for _, m := range msgs {
		feedIDs = append(feedIDs, m.MessageFeedID)
		creators = append(creators, m.CreatorID)
	}
	feeds, err := tx.MessageFeedsByIDs(Unique(feedIDs))
	if err != nil {
		return err
	}
	feedByID := map[string]MessageFeed{}
	for _, f := range feeds {
		feedByID[f.ID] = f
	}
	users, err := tx.UsersByIDs(Unique(creators))
	if err != nil {
		return err
	}
	creatorPublic := map[string]string{}
	for _, u := range users {
		creatorPublic[u.ID] = u.UserID
	}
	for _, m := range msgs {
		decorateMessage(&m)
		p, _ := json.Marshal(MessagePreview{MessageID: m.ID, ParentID: m.ParentID, ChannelID: m.ChannelID,
			ChannelPublicID: public[m.ChannelID], MessageFeedID: m.MessageFeedID, Data: m.Data, DataType: m.DataType,
			CreatorID: m.CreatorID, CreatorPublicID: creatorPublic[m.CreatorID], IsDeleted: m.IsDeleted,
			Segment: m.Segment, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt})
		out.MessagePreviews = append(out.MessagePreviews, p)
		f := feedByID[m.MessageFeedID]
		info, _ := json.Marshal(MessageFeedInfo{MessagePreviewID: m.ID, MessageFeedID: f.ID, Name: f.Name,
			CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt})
		out.MessageFeedsInfo = append(out.MessageFeedsInfo, info)
	}
	return nil
}
