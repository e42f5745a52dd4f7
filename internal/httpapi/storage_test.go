package httpapi_test

// Storage behaviour seen through the API, the same on SQLite and PostgreSQL (run the
// suite with PARLEY_TEST_DIALECT=postgres to see it there).

import (
	"sync"
	"testing"
)

// Text that PostgreSQL cannot hold (NUL, invalid UTF-8) is refused as bad input on both
// engines and never becomes an internal error (the kit fails any 5xx).
func TestUnstorableTextIsBadInput(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("alice")
	for _, body := range []string{
		`{"userId":"a\u0000b","deviceId":"d"}`,
		`{"userId":"a","deviceId":"d\u0000"}`,
		`{"userId":"a","deviceId":"d","displayName":"x\u0000"}`,
	} {
		e.do(req{method: "POST", path: "/api/v5/sessions", header: apiKey(testAPIKey), body: body}).expect(400, 400000)
	}
	for _, path := range []string{"/api/v3/users/a%00b", "/api/v3/users/%FF", "/api/v3/users?keyword=%00", "/api/v3/users?keyword=%FF"} {
		if r := e.do(req{method: "GET", path: path, token: tok}); r.Status != 200 && r.Status != 400 && r.Status != 404 {
			t.Errorf("GET %s answered %d: %s", path, r.Status, r.Body)
		}
	}
	if n := e.count("users", "user_id = ?", "a"); n != 0 {
		t.Errorf("refused logins created %d users", n)
	}
}

// Concurrent first logins of one user all succeed and make one user: the check-then-
// insert runs serialised on both engines.
func TestConcurrentFirstLoginsMakeOneUser(t *testing.T) {
	e := newEnv(t)
	const logins = 6
	var wg sync.WaitGroup
	ids := make([]string, logins)
	for i := range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, u := e.login("newcomer")
			ids[i] = u["_id"].(string)
		}()
	}
	wg.Wait()
	for i := range ids {
		if ids[i] != ids[0] {
			t.Errorf("login %d got user %s, login 0 user %s", i, ids[i], ids[0])
		}
	}
	if n := e.count("users", "user_id = ?", "newcomer"); n != 1 {
		t.Errorf("%d users named newcomer", n)
	}
	if n := e.count("sessions", ""); n != logins {
		t.Errorf("%d sessions, want %d", n, logins)
	}
}
