package store

import (
	"fmt"
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
	checked := 0
	eachStoreFunc(t, func(fset *token.FileSet, _ string, fn *ast.FuncDecl) {
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
	})
	if checked < 8 {
		t.Fatalf("found only %d writes of cached tables; the pattern no longer matches the store's SQL", checked)
	}
}

// No function of the store's SQL branches on the engine for caching: the row caches are
// one field that is never nil (the no-op twin on PostgreSQL), so only the door to the
// engine (Read, Write, Close and sqlite.go) asks whether the SQLite engine is there, only
// the caches' own methods look at their bounds (max 0 is the twin), and nothing asks the
// engine's name. This reads the store's own source, so a new branch fails here.
func TestNoStoreFunctionBranchesOnTheEngine(t *testing.T) {
	door := map[string]bool{"Close": true, "Read": true, "Write": true}
	cacheTypes := map[string]bool{"rowCache": true, "firstPages": true}
	lite := 0
	eachStoreFunc(t, func(fset *token.FileSet, name string, fn *ast.FuncDecl) {
		receiver := ""
		if fn.Recv != nil && len(fn.Recv.List) == 1 {
			typ := fn.Recv.List[0].Type
			if s, ok := typ.(*ast.StarExpr); ok {
				typ = s.X
			}
			if g, ok := typ.(*ast.IndexExpr); ok {
				typ = g.X
			}
			if id, ok := typ.(*ast.Ident); ok {
				receiver = id.Name
			}
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			where := fmt.Sprintf("%s: %s", fset.Position(sel.Pos()), fn.Name.Name)
			switch sel.Sel.Name {
			case "lite":
				lite++
				if name != "sqlite.go" && !(receiver == "DB" && door[fn.Name.Name]) {
					t.Errorf("%s asks whether the SQLite engine is there; only the door may", where)
				}
			case "max":
				if !cacheTypes[receiver] {
					t.Errorf("%s looks at a cache's bound; ask the cache (the no-op twin answers itself)", where)
				}
			case "Dialect", "holds":
				t.Errorf("%s asks which engine it runs on", where)
			}
			return true
		})
	})
	if lite == 0 {
		t.Fatal("found no use of the engine at all; the pattern no longer matches the store")
	}
}

// eachStoreFunc calls f for every function with a body in the store's non-test source
// files (this directory), with the file's name.
func eachStoreFunc(t *testing.T, f func(fset *token.FileSet, name string, fn *ast.FuncDecl)) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Body != nil {
				f(fset, name, fn)
			}
		}
	}
}
