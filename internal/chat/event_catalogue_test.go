package chat

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"
)

// amityWebhookEvents are the Amity webhook event names Parley sends (docs/webhooks.md):
// a row naming another would post an event no Amity receiver knows.
var amityWebhookEvents = map[string]bool{
	"channel.didCreate": true, "channel.didUpdate": true, "channel.didClose": true,
	"channel.didAddUsers": true, "channel.didRemoveUsers": true, "channel.didJoin": true,
	"channel.didLeave": true, "channel.didBan": true,
	"message.didCreate": true, "message.didUpdate": true, "message.didDelete": true,
	"v5.message.didCreate": true, "v5.message.didUpdate": true, "v5.message.didDelete": true,
	"message.didFlag": true, "message.didUnflag": true, "message.didClearflag": true,
	"message.didAddReaction": true, "message.didRemoveReaction": true,
	"user.didUpdate": true, "user.didFlag": true, "user.didUnflag": true, "user.didClearFlag": true,
	"webhook.didDisable": true,
}

// Every EventType constant declared in the package has a row, and the catalogue holds
// no row for a type nothing declares.
func TestEveryEventTypeHasARow(t *testing.T) {
	declared := eventTypeConstants(t)
	if len(declared) < 40 {
		t.Fatalf("found %d EventType constants: the source walk is broken", len(declared))
	}
	for name, value := range declared {
		if _, ok := catalogue[value]; !ok {
			t.Errorf("%s (%q) has no row in the event catalogue", name, value)
		}
	}
	values := map[EventType]bool{}
	for _, v := range declared {
		values[v] = true
	}
	for typ := range catalogue {
		if !values[typ] {
			t.Errorf("catalogue row %q is no declared constant", typ)
		}
	}
}

func TestRowsNameKnownWebhookEvents(t *testing.T) {
	for typ, s := range catalogue {
		for _, w := range s.Webhooks {
			if !amityWebhookEvents[w.Name] {
				t.Errorf("%s: unknown webhook event %q", typ, w.Name)
			}
			if w.Shape == webhookShapeNone {
				t.Errorf("%s: webhook event %q has no shape", typ, w.Name)
			}
		}
		if s.Internal && (len(s.Webhooks) > 0 || s.Push != nil) {
			t.Errorf("%s: an internal event reaches no one outside the nodes", typ)
		}
	}
}

// eventTypeConstants reads the package's source for the constants of type EventType.
func eventTypeConstants(t *testing.T) map[string]EventType {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]EventType{}
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "EventType" {
					continue
				}
				for i, n := range vs.Names {
					out[n.Name] = constValue(t, vs.Values[i])
				}
			}
		}
	}
	return out
}

// constValue evaluates a constant's expression: a string literal, or the internal
// prefix plus one.
func constValue(t *testing.T, e ast.Expr) EventType {
	switch v := e.(type) {
	case *ast.BasicLit:
		s, err := strconv.Unquote(v.Value)
		if err != nil {
			t.Fatal(err)
		}
		return EventType(s)
	case *ast.BinaryExpr:
		if id, ok := v.X.(*ast.Ident); ok && id.Name == "internalEventPrefix" {
			return internalEventPrefix + constValue(t, v.Y)
		}
	}
	t.Fatalf("cannot evaluate constant %T", e)
	return ""
}
