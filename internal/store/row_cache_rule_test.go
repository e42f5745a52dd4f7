package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every function of the store that writes a table the row caches hold must mark what it
// writes (docs/development.md): a write that does not leaves the cache answering the old
// row. This reads the store's own source, so a new statement that forgets fails here.
func TestEveryWriteOfACachedTableMarksItsRows(t *testing.T) {
	marks := map[string]string{"users": "dirtyUser", "channels": "dirtyChannel", "channel_members": "dirtyMember"}
	write := regexp.MustCompile(`(?i)\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(users|channels|channel_members)\b`)
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
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			tables, calls := map[string]bool{}, map[string]bool{}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BasicLit:
					if n.Kind == token.STRING {
						for _, m := range write.FindAllStringSubmatch(n.Value, -1) {
							tables[strings.ToLower(m[1])] = true
						}
					}
				case *ast.SelectorExpr:
					calls[n.Sel.Name] = true
				}
				return true
			})
			for table := range tables {
				checked++
				if !calls[marks[table]] {
					t.Errorf("%s: %s writes %s but never calls %s", fset.Position(fn.Pos()), fn.Name.Name, table, marks[table])
				}
			}
		}
	}
	if checked < 8 {
		t.Fatalf("found only %d writes of cached tables; the pattern no longer matches the store's SQL", checked)
	}
}
