package httpapi_test

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/parley-chat/parley/internal/httpapi"
)

// TestNoRouteAnswers5xxToBadInput sends every documented operation a set of hostile inputs
// (malformed JSON, null, an array, wrong types for every common field, an oversized body,
// odd path ids and query values), as a logged-in user and as an admin. Whatever the route,
// the answer must be a 4xx or a 2xx described by the OpenAPI document, never a 5xx.
func TestNoRouteAnswers5xxToBadInput(t *testing.T) {
	e := newEnv(t)
	user, _ := e.login("prober")
	admin := e.adminToken()
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	wrongTypes := `{"userId":5,"userIds":"x","channelId":[1],"displayName":{"a":1},"type":7,"tags":"t","metadata":"m",
		"data":5,"dataType":["text"],"messageFeedId":1,"participantUserId":2,"title":false,"role":3,"mutePeriod":"x",
		"referenceId":9,"reactionName":1,"targetId":2,"name":3,"readToSegment":"x","isPublic":"yes","roomId":1}`
	bodies := map[string]string{
		"malformed": `{"a":`, "null": `null`, "array": `[1,2,3]`, "string": `"text"`, "wrong types": wrongTypes,
		"empty object": `{}`, "oversized": `{"x":"` + strings.Repeat("y", 300<<10) + `"}`,
	}
	ids := []string{"x", "0123456789abcdef01234567", "%2E%2E", strings.Repeat("z", 300), "%00"}
	param := regexp.MustCompile(`\{[^}]+\}`)
	var paths []string
	for p := range doc.Paths.Map() {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	n := 0
	for _, p := range paths {
		for method := range doc.Paths.Value(p).Operations() {
			for _, id := range ids {
				path := param.ReplaceAllString(p, id)
				query := "?options%5Blimit%5D=-1&options%5Btoken%5D=%25%25&sortBy=nope&types%5B%5D=weird&isDeleted=perhaps&userIds%5B%5D=" + id
				for _, token := range []string{user, admin} {
					for name, body := range bodies {
						var b any
						if method != "GET" {
							b = body
						}
						r := e.in(t).do(req{method: method, path: path + query, token: token, body: b})
						n++
						if r.Status >= 500 {
							t.Errorf("%s %s with %s body answered %d", method, path, name, r.Status)
						}
						if method == "GET" {
							break
						}
					}
				}
			}
		}
	}
	t.Logf("%d hostile requests over %d documented paths, none answered 5xx", n, len(paths))
}
