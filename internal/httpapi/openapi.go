package httpapi

import (
	"embed"
	"io/fs"
	"sort"
	"sync"

	"gopkg.in/yaml.v3"
)

// The OpenAPI document is kept as one fragment per resource (openapi/<resource>.yaml,
// each with `paths` and `components`), next to the handlers they describe, and merged
// into one document at first use.
//
//go:embed openapi/*.yaml
var openapiFiles embed.FS

var openapiDoc = sync.OnceValue(func() []byte {
	names, _ := fs.Glob(openapiFiles, "openapi/*.yaml")
	sort.Strings(names) // base.yaml sorts first among the fragments that matter
	var doc map[string]any
	for _, name := range names {
		b, _ := openapiFiles.ReadFile(name)
		var part map[string]any
		if err := yaml.Unmarshal(b, &part); err != nil {
			panic("openapi fragment " + name + ": " + err.Error())
		}
		if doc == nil {
			doc = part
			continue
		}
		mergeInto(doc, part)
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return out
})

// OpenAPI returns the merged document served at /api/openapi.yaml.
func OpenAPI() []byte { return openapiDoc() }

// mergeInto adds src's maps into dst, recursively; a key both define must be a map in both.
func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		sm, ok := v.(map[string]any)
		dm, ok2 := dst[k].(map[string]any)
		if ok && ok2 {
			mergeInto(dm, sm)
			continue
		}
		if _, exists := dst[k]; exists && k != "openapi" && k != "info" {
			panic("openapi: " + k + " is defined twice")
		}
		dst[k] = v
	}
}
