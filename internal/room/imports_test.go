package room

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Rooms stand beside chat and on it: of Parley's packages they import chat alone, so
// the store, the transports and the media backends can import room without a cycle,
// and chat's code reaches rooms only through chat.RoomChats.
func TestImportsOnlyChat(t *testing.T) {
	const module = "github.com/parley-chat/parley/"
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
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, module) && path != module+"internal/chat" {
				t.Errorf("%s imports %s: rooms may import only internal/chat of ours", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no source files found")
	}
}
