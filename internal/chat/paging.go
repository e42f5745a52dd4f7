package chat

import (
	"encoding/base64"
	"encoding/json"
)

// Paging is the `paging` object of list answers.
type Paging struct {
	Next     string `json:"next,omitempty"`
	Previous string `json:"previous,omitempty"`
}

// Cursor is a keyset position: the sort key of the last item seen (a number or a string)
// and its id as the tie-breaker. A page after it costs the same however deep it is.
type Cursor struct {
	N  int64  `json:"n,omitempty"`
	S  string `json:"s,omitempty"`
	ID string `json:"id"`
	// Before asks for the page before the cursor rather than after it.
	Before bool `json:"b,omitempty"`
	// Limit is the page size the client first asked for; later pages send only the token.
	Limit int `json:"limit,omitempty"`
}

// Encode renders the cursor as the opaque token: base64 of a small JSON object, which
// the SDK's one-shot helpers decode and so must stay JSON.
func (c *Cursor) Encode(limit int) string {
	c.Limit = limit
	b, _ := json.Marshal(c)
	return base64.StdEncoding.EncodeToString(b)
}

// DecodeCursor reads a token; a malformed one is a 400000.
func DecodeCursor(token string) (*Cursor, error) {
	b, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		b, err = base64.RawURLEncoding.DecodeString(token)
	}
	var c Cursor
	if err != nil || json.Unmarshal(b, &c) != nil || (c.ID != "" && !IsID(c.ID)) || c.Limit < 0 || c.Limit > MaxPageSize {
		var p Problems
		p.Add("options[token]", "is not a valid paging token")
		return nil, p.Err()
	}
	if c.ID == "" {
		// A token the server did not make, such as the SDK's {"skip":0,"limit":100}:
		// it names no position, so it means the first page.
		return &Cursor{Limit: c.Limit}, nil
	}
	return &c, nil
}

// SortBy names a list's order (the sortBy option); SortOrder a direction (sortOrder).
// Their own types keep a sort name from being passed where a filter, a status or a
// direction is expected.
type (
	SortBy    string
	SortOrder string
)

// Sort orders of the lists (the sortBy option): one name each, for every list that
// offers it.
const (
	SortLastActivity SortBy = "lastActivity"
	SortLastCreated  SortBy = "lastCreated"
	SortFirstCreated SortBy = "firstCreated"
	SortDisplayName  SortBy = "displayName"
	SortSegmentAsc   SortBy = "segmentAsc"
	SortSegmentDesc  SortBy = "segmentDesc"
	// The invitations list also takes a field and a sortOrder (SortAscending or
	// SortDescending) instead of a named order.
	SortCreatedAt SortBy = "createdAt"
	SortID        SortBy = "_id"

	SortAscending  SortOrder = "asc"
	SortDescending SortOrder = "desc"
)

// Filters of the lists (the filter option).
const (
	FilterAll = "all" // every list's default: no filter

	ChannelFilterMember    = "member"    // channels the caller is a member of
	ChannelFilterNotMember = "notMember" // channels the caller is not a member of

	MemberFilterMuted           = MembershipMuted
	MemberFilterBanned          = MembershipBanned
	MemberFilterMemberAndBanned = "member&banned"

	UserFilterFlagged = "flagged"
)

// The values each list's options take: the one place they are named, which the HTTP
// layer's parsing and the service's checks both use. Order is the order an error lists
// them in.
var (
	ChannelSorts   = []SortBy{SortLastActivity, SortLastCreated, SortFirstCreated, SortDisplayName}
	ChannelFilters = []string{FilterAll, ChannelFilterMember, ChannelFilterNotMember}
	MemberSorts    = []SortBy{SortLastCreated, SortFirstCreated}
	// MemberFilters is the v3 members list's filter, which names memberships.
	MemberFilters = []string{FilterAll, MemberFilterMuted, MemberFilterBanned, MemberFilterMemberAndBanned}
	// Memberships is what the members list's memberships option may hold.
	Memberships    = []string{MembershipMember, MembershipBanned, MembershipMuted}
	MessageSorts   = []SortBy{SortSegmentAsc, SortSegmentDesc}
	UserSorts      = []SortBy{SortFirstCreated, SortLastCreated, SortDisplayName}
	UserFilters    = []string{FilterAll, UserFilterFlagged}
	RoomSorts      = []SortBy{SortLastCreated, SortFirstCreated}
	BlocklistSorts = []SortBy{SortFirstCreated, SortLastCreated}
	// InvitationSorts go with SortOrders.
	InvitationSorts = []SortBy{SortFirstCreated, SortLastCreated, SortCreatedAt, SortID}
	SortOrders      = []SortOrder{SortAscending, SortDescending}
)

// Page sizes of every list endpoint.
const (
	DefaultPageSize = 10
	MaxPageSize     = 100
)

// fetchPage reads one page of a keyset list. It asks list for one row more than the page
// holds, so that a next page is promised only when one exists, and returns the page with
// its paging answer; cursor names a row's position.
func fetchPage[T any](limit int, list func(limit int) ([]T, error), cursor func(T) *Cursor) ([]T, *Paging, error) {
	rows, err := list(limit + 1)
	if err != nil {
		return nil, nil, err
	}
	p := &Paging{}
	if len(rows) > limit {
		rows = rows[:limit]
		p.Next = cursor(rows[limit-1]).Encode(limit)
	}
	return rows, p, nil
}
