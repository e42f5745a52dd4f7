package realtime

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The real-time layer hears about the domain through chat alone: the events it publishes
// (chat.OutboxEvent), the outbox it drains and the lease it runs under are interfaces it
// declares and the store happens to satisfy; the room topics' ACL (Rooms) is one that
// room.Service satisfies, so the broker does not import internal/room either. A non-test file that imports another of
// Parley's packages (the store above all) would tie the broker to the storage engine.
// ratelog is allowed: a log-line limiter that knows nothing of Parley.
func TestImportsOnlyChat(t *testing.T) {
	const module = "github.com/parley-chat/parley/"
	allowed := map[string]bool{module + "internal/chat": true, module + "internal/ratelog": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, module) && !allowed[path] {
				t.Errorf("%s imports %s: the real-time layer may import only internal/chat (and ratelog)", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no source files found")
	}
}
