package httpapi_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func userIDsOf(t *testing.T, m map[string]any) []string {
	t.Helper()
	var out []string
	for _, u := range m["users"].([]any) {
		out = append(out, u.(map[string]any)["userId"].(string))
	}
	return out
}

func TestGetUserNotFound(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("amy")
	e.do(req{method: "GET", path: "/api/v3/users/ghost", token: tok}).expect(404, 400400)
}

func TestGetUsersByIDs(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("amy")
	e.login("bo")
	e.login("we/ird id")
	// The SDK's by-ids helper encodes ids twice; plain ids are unaffected.
	q := "userIds%5B%5D=bo&userIds%5B%5D=ghost&userIds%5B%5D=" + url.QueryEscape(url.QueryEscape("we/ird id")) + "&userIds%5B%5D=amy"
	m := e.do(req{method: "GET", path: "/api/v3/users/list?" + q, token: tok}).ok().JSON()
	if got := strings.Join(userIDsOf(t, m), ","); got != "bo,we/ird id,amy" {
		t.Fatalf("users in asked order: %s", got)
	}
	e.do(req{method: "GET", path: "/api/v3/users/list", token: tok}).expect(400, 400000)
	many := strings.Repeat("userIds%5B%5D=x&", 101)
	e.do(req{method: "GET", path: "/api/v3/users/list?" + many, token: tok}).expect(400, 400000)
}

func TestQueryUsersPagesWithoutRepeats(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("u00")
	for i := 1; i < 25; i++ {
		e.login(fmt.Sprintf("u%02d", i))
	}
	for _, sortBy := range []string{"firstCreated", "lastCreated", "displayName"} {
		t.Run(sortBy, func(t *testing.T) {
			seen := map[string]bool{}
			// Like the SDK, later pages send the same query with the token instead of the limit.
			base := "/api/v3/users?keyword=user%20u&sortBy=" + sortBy
			path := base + "&options%5Blimit%5D=7"
			pages := 0
			var order []string
			for path != "" {
				m := e.do(req{method: "GET", path: path, token: tok}).ok().JSON()
				pages++
				for _, id := range userIDsOf(t, m) {
					if seen[id] {
						t.Fatalf("%s seen twice", id)
					}
					seen[id] = true
					order = append(order, id)
				}
				path = ""
				if next, _ := m["paging"].(map[string]any)["next"].(string); next != "" {
					path = base + "&options%5Btoken%5D=" + url.QueryEscape(next)
				}
			}
			if len(seen) != 25 || pages != 4 {
				t.Fatalf("saw %d users in %d pages", len(seen), pages)
			}
			if sortBy == "lastCreated" && order[0] != "u24" {
				t.Fatalf("lastCreated starts with %s", order[0])
			}
			if sortBy != "lastCreated" && order[0] != "u00" {
				t.Fatalf("%s starts with %s", sortBy, order[0])
			}
		})
	}
	for _, bad := range []string{"sortBy=sideways", "options%5Blimit%5D=0", "options%5Blimit%5D=101", "options%5Blimit%5D=abc",
		"options%5Btoken%5D=%21%21", "isDeleted=maybe", "filter=weird", "keyword=" + strings.Repeat("k", 101)} {
		e.do(req{method: "GET", path: "/api/v3/users?" + bad, token: tok}).expect(400, 400000)
	}
}

func TestUpdateOwnProfile(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("amy")
	m := e.do(req{method: "PUT", path: "/api/v3/users/", token: tok, body: map[string]any{
		"userId": "amy", "displayName": "Amy A.", "description": "hi", "metadata": map[string]any{"k": 1},
		"createNewUserWhenNotFound": false}}).ok().JSON()
	u := m["users"].([]any)[0].(map[string]any)
	if u["displayName"] != "Amy A." || u["description"] != "hi" || u["metadata"].(map[string]any)["k"] != 1.0 {
		t.Fatalf("updated: %v", u)
	}
	// Without userId the caller edits themselves.
	e.do(req{method: "PUT", path: "/api/v3/users", token: tok, body: map[string]any{"displayName": "Amy"}}).ok()
	if n := e.count("outbox", "type = ?", "user.updated"); n != 2 {
		t.Fatalf("user.updated events: %d", n)
	}
}

func TestUpdateUserRefusals(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("amy")
	e.login("bo")
	long := strings.Repeat("n", 101)
	for name, c := range map[string]struct {
		body         any
		status, code int
	}{
		"someone else":        {map[string]any{"userId": "bo", "displayName": "x"}, 403, 400301},
		"create as non-admin": {map[string]any{"userId": "new", "createNewUserWhenNotFound": true}, 403, 400301},
		"grant own role":      {map[string]any{"userId": "amy", "roles": []string{"global-admin"}}, 403, 400301},
		"long displayName":    {map[string]any{"displayName": long}, 400, 400000},
		"metadata not object": {map[string]any{"metadata": "text"}, 400, 400000},
		"metadata array":      {map[string]any{"metadata": []int{1}}, 400, 400000},
		"displayName number":  {map[string]any{"displayName": 7}, 400, 400000},
		"too many tags":       {map[string]any{"tags": strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")}, 400, 400000},
		"avatar missing file": {map[string]any{"avatarFileId": "0123456789abcdef01234567"}, 404, 400400},
		"malformed":           {`{"displayName":`, 400, 400000},
	} {
		t.Run(name, func(t *testing.T) {
			e.in(t).do(req{method: "PUT", path: "/api/v3/users", token: tok, body: c.body}).expect(c.status, c.code)
		})
	}
	if n := e.count("users", "display_name <> ?", "User amy"); n != 2 { // bo and the admin user
		t.Fatalf("refused updates changed users: %d", n)
	}
}

func TestAdminAssignsRolesAndPermissionsFollow(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	tok, _ := e.login("amy")
	e.do(req{method: "GET", path: "/api/v3/users/amy", token: tok}).ok() // cache the session
	e.do(req{method: "PUT", path: "/api/v3/users", token: admin, body: map[string]any{"userId": "amy", "roles": []string{"no-such-role"}}}).expect(400, 400000)
	m := e.do(req{method: "PUT", path: "/api/v3/users", token: admin, body: map[string]any{"userId": "amy", "roles": []string{"global-admin"}}}).ok().JSON()
	perms := fmt.Sprint(m["users"].([]any)[0].(map[string]any)["permissions"])
	if !strings.Contains(perms, "BAN_USER") {
		t.Fatalf("permissions: %s", perms)
	}
	// The new role takes effect on amy's next request, despite the session cache.
	e.login("bo")
	e.do(req{method: "PUT", path: "/api/v3/users", token: tok, body: map[string]any{"userId": "bo", "displayName": "Bo"}}).ok()
}
