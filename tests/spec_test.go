package tests

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v4"
)

// TestSpecIsOpenAPI31 proves the document is loaded as OpenAPI 3.1 (so
// responses are validated with JSON Schema 2020-12 semantics) and passes
// kin-openapi's own validation (TestMain already refuses to run otherwise).
func TestSpecIsOpenAPI31(t *testing.T) {
	t.Parallel()
	require.Equal(t, "3.1.0", suite.spec.OpenAPI)
	require.True(t, suite.spec.IsOpenAPI31OrLater())
	require.NoError(t, suite.spec.Validate(t.Context()))
}

// TestSpecHasNoUntypedSchemas walks every schema in openapi.yaml and fails on
// any that leaves a shape open by accident:
//   - a bare {} (or a schema with neither type, $ref, composition, const nor enum);
//   - an object without properties nor a typed additionalProperties, or
//     whose additionalProperties is not stated (false or a schema: never true);
//   - an array without items.
func TestSpecHasNoUntypedSchemas(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(specPath)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &doc))

	var problems []string
	w := schemaWalker{report: func(path, problem string) { problems = append(problems, path+": "+problem) }}
	w.document(doc)
	sort.Strings(problems)
	require.Empty(t, problems, "untyped schemas in %s:\n%s", specPath, strings.Join(problems, "\n"))
	require.Greater(t, w.seen, 50, "the walker saw too few schemas to be trusted")
}

// TestSchemaWalkerCatchesUntyped proves the walker above is not vacuous.
func TestSchemaWalkerCatchesUntyped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		schema string
		bad    bool
	}{
		{"bare", `{}`, true},
		{"open object", `{type: object}`, true},
		{"object additionalProperties true", `{type: object, properties: {a: {type: string}}, additionalProperties: true}`, true},
		{"object without additionalProperties", `{type: object, properties: {a: {type: string}}}`, true},
		{"untyped property", `{type: object, additionalProperties: false, properties: {a: {}}}`, true},
		{"array without items", `{type: array}`, true},
		{"untyped oneOf branch", `{oneOf: [{type: string}, {}]}`, true},
		{"closed object", `{type: object, additionalProperties: false, properties: {a: {type: string}}}`, false},
		{"map of strings", `{type: object, additionalProperties: {type: string}}`, false},
		{"ref", `{$ref: "#/components/schemas/X"}`, false},
		{"nullable 3.1", `{type: [string, "null"]}`, false},
		{"enum", `{enum: [a, b]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s any
			require.NoError(t, yaml.Unmarshal([]byte(tt.schema), &s))
			bad := false
			w := schemaWalker{report: func(string, string) { bad = true }}
			w.schema("#", s)
			require.Equal(t, tt.bad, bad, "schema %s", tt.schema)
		})
	}
}

// schemaWalker visits every Schema Object of an OpenAPI 3.1 document.
type schemaWalker struct {
	report func(path, problem string)
	seen   int
}

func (w *schemaWalker) document(doc map[string]any) {
	comps, _ := doc["components"].(map[string]any)
	for name, s := range asMap(comps["schemas"]) {
		w.schema("#/components/schemas/"+name, s)
	}
	for name, p := range asMap(comps["parameters"]) {
		w.parameter("#/components/parameters/"+name, p)
	}
	for name, h := range asMap(comps["headers"]) {
		w.parameter("#/components/headers/"+name, h)
	}
	for name, r := range asMap(comps["responses"]) {
		w.response("#/components/responses/"+name, r)
	}
	for name, b := range asMap(comps["requestBodies"]) {
		w.content("#/components/requestBodies/"+name, asMap(b)["content"])
	}
	for path, item := range asMap(doc["paths"]) {
		base := "#/paths/" + path
		for key, v := range asMap(item) {
			switch key {
			case "parameters":
				for i, p := range asSlice(v) {
					w.parameter(fmt.Sprintf("%s/parameters/%d", base, i), p)
				}
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				op := asMap(v)
				for i, p := range asSlice(op["parameters"]) {
					w.parameter(fmt.Sprintf("%s/%s/parameters/%d", base, key, i), p)
				}
				if rb := asMap(op["requestBody"]); rb != nil {
					w.content(base+"/"+key+"/requestBody", rb["content"])
				}
				for status, r := range asMap(op["responses"]) {
					w.response(base+"/"+key+"/responses/"+status, r)
				}
			}
		}
	}
}

func (w *schemaWalker) parameter(path string, p any) {
	m := asMap(p)
	if _, ok := m["$ref"]; ok {
		return
	}
	if s, ok := m["schema"]; ok {
		w.schema(path+"/schema", s)
	}
	w.content(path, m["content"])
}

func (w *schemaWalker) response(path string, r any) {
	m := asMap(r)
	if _, ok := m["$ref"]; ok {
		return
	}
	for name, h := range asMap(m["headers"]) {
		w.parameter(path+"/headers/"+name, h)
	}
	w.content(path, m["content"])
}

func (w *schemaWalker) content(path string, c any) {
	for mt, media := range asMap(c) {
		if s, ok := asMap(media)["schema"]; ok {
			w.schema(path+"/content/"+mt+"/schema", s)
		} else {
			w.report(path+"/content/"+mt, "media type without a schema")
		}
	}
}

func (w *schemaWalker) schema(path string, s any) {
	w.seen++
	m, ok := s.(map[string]any)
	if !ok {
		w.report(path, fmt.Sprintf("schema is %T, want an object", s))
		return
	}
	if _, ok := m["$ref"]; ok {
		return
	}
	_, hasType := m["type"]
	_, hasConst := m["const"]
	_, hasEnum := m["enum"]
	composed := false
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		for i, sub := range asSlice(m[k]) {
			composed = true
			w.schema(fmt.Sprintf("%s/%s/%d", path, k, i), sub)
		}
	}
	if !hasType && !hasConst && !hasEnum && !composed {
		w.report(path, "untyped schema (no type, $ref, oneOf/anyOf/allOf, const or enum)")
	}
	types := typesOf(m["type"])
	if types["object"] || m["properties"] != nil {
		props := asMap(m["properties"])
		ap, stated := m["additionalProperties"]
		switch v := ap.(type) {
		case bool:
			if v {
				w.report(path, "additionalProperties: true leaves the object untyped")
			}
		case map[string]any:
			w.schema(path+"/additionalProperties", v)
		default:
			if stated {
				w.report(path, fmt.Sprintf("additionalProperties is %T", ap))
			}
		}
		if !stated {
			w.report(path, "object schema must state additionalProperties (false, or a schema)")
		}
		if len(props) == 0 && ap == false {
			w.report(path, "object schema with no properties and additionalProperties: false")
		}
		names := make([]string, 0, len(props))
		for name := range props {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			w.schema(path+"/properties/"+name, props[name])
		}
	}
	if types["array"] {
		items, ok := m["items"]
		if !ok {
			w.report(path, "array schema without items")
		} else {
			w.schema(path+"/items", items)
		}
	}
	for i, sub := range asSlice(m["prefixItems"]) {
		w.schema(fmt.Sprintf("%s/prefixItems/%d", path, i), sub)
	}
	if not, ok := m["not"]; ok {
		w.schema(path+"/not", not)
	}
}

func typesOf(v any) map[string]bool {
	out := map[string]bool{}
	switch t := v.(type) {
	case string:
		out[t] = true
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok {
				out[s] = true
			}
		}
	}
	return out
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
