package cluster

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"google.golang.org/protobuf/proto"
)

// Every exported struct type of package messages crosses processes, so each must be registered:
// a type added there without registering it here fails this test.
func TestEveryMessageTypeIsRegistered(t *testing.T) {
	files, err := filepath.Glob("../messages/*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var declared []string
	for _, f := range files {
		if filepath.Ext(f) != ".go" || len(f) > 8 && f[len(f)-8:] == "_test.go" {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				ts := s.(*ast.TypeSpec)
				if _, isStruct := ts.Type.(*ast.StructType); isStruct && ts.Name.IsExported() {
					declared = append(declared, "also.messages."+ts.Name.Name)
				}
			}
		}
	}
	if len(declared) < 20 {
		t.Fatalf("found only %d message types in ../messages: %v", len(declared), declared)
	}
	registered := map[string]bool{}
	for _, n := range wireCodec.Names() {
		registered[n] = true
	}
	sort.Strings(declared)
	for _, n := range declared {
		if !registered[n] {
			t.Errorf("message type %s is not registered in wireCodec (cluster/codec.go)", n)
		}
	}
}

// Each registered type, with every field set, comes back equal through the codec and through
// the protobuf envelope remote puts on the wire.
func TestEveryRegisteredTypeRoundTrips(t *testing.T) {
	names := wireCodec.Names()
	sort.Strings(names)
	for _, name := range names {
		typ := wireCodec.byName[name]
		v := reflect.New(typ)
		fill(v.Elem(), 0)
		msg := v.Interface()
		out, err := (&Wire{M: msg}).Serialize()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		bytes, err := proto.Marshal(out.(*Envelope))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var env Envelope
		if err := proto.Unmarshal(bytes, &env); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back, err := env.Deserialize()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := back.(*Wire).M; !reflect.DeepEqual(got, msg) {
			t.Errorf("%s changed crossing the wire:\n sent %#v\n got  %#v", name, msg, got)
		}
	}
}

func TestCodecRefusesUnknownTypes(t *testing.T) {
	type stranger struct{ A int }
	if _, err := wireCodec.Serialize(&stranger{}); err == nil {
		t.Error("an unregistered type was serialized")
	}
	if _, err := wireCodec.Deserialize("also.messages.Nope", []byte("{}")); err == nil {
		t.Error("an unknown type name was deserialized")
	}
}

// fill sets every field reachable from v to a non-zero value (depth-bounded for recursive types).
func fill(v reflect.Value, depth int) {
	if depth > 6 {
		return
	}
	if v.Type() == reflect.TypeOf(json.RawMessage(nil)) {
		v.SetBytes([]byte(`{"raw":1}`))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + v.Type().Name())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(3)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(4)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(0.25)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i), depth+1)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, depth+1)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			// A field tagged json:"-" is declared process-local (arms.Member.Embedding: an arm's
			// embedding is recomputed where it is used); it does not cross.
			if f := v.Type().Field(i); f.IsExported() && f.Tag.Get("json") != "-" {
				fill(v.Field(i), depth+1)
			}
		}
	}
}
