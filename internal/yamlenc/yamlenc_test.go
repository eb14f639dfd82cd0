package yamlenc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"
)

// goyaml is what go-yaml v2 writes for the JSON text js, numbers as
// int64: the reference.
func goyaml(t testing.TB, js []byte) []byte {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	v = ints(v)
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ints(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = ints(x)
		}
	case []any:
		for i, x := range v {
			v[i] = ints(x)
		}
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	}
	return v
}

// same writes js with Write and wants go-yaml's bytes, or a refusal;
// it reports whether Write wrote it.
func same(t testing.TB, js []byte) bool {
	t.Helper()
	n, err := Parse(js)
	if err != nil {
		t.Fatalf("parse %s: %v", js, err)
	}
	got, ok := Write(nil, n)
	if !ok {
		return false
	}
	if want := goyaml(t, js); !bytes.Equal(got, want) {
		t.Fatalf("for %s\ngot:\n%s\nwant (go-yaml):\n%s", js, got, want)
	}
	return true
}

func TestShapes(t *testing.T) {
	for _, js := range []string{
		`{}`,
		`{"a":1,"b":"x","c":true,"d":null,"e":{},"f":[]}`,
		`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":80}]}]}}}}`,
		`{"l":[[1,2],[3,[4,5]],{"a":1}],"m":[{"a":{"b":[1]},"c":[{"d":1}]}]}`,
		`{"a10":1,"a9":2,"a":3,"B":4,"_x":5,"1":6,"01":7,"a-b":8,"a.b":9}`,
		`{"data":{"nginx.conf":"events {}\nhttp {\n  server {}\n}\n","x":"one\ntwo","y":" lead\nx\n","z":"\nlead break"}}`,
		`{"s":["","true","1.27","1e3","0x1F","2001-12-14","1:20","~","null","-","- x","a: b","#c","x #c","'q'","\"d\"","é","日本"]}`,
		`{"long":"` + strings.Repeat("word ", 40) + `","q":"` + strings.Repeat("a: ", 40) + `"}`,
		`{"list":["` + strings.Repeat("word ", 40) + `"],"deep":{"deeper":{"deepest":"` + strings.Repeat("x y ", 30) + `"}}}`,
	} {
		if !same(t, []byte(js)) {
			t.Errorf("Write refuses %s", js)
		}
	}
}

// TestRefuses: what Write does not reproduce, it refuses, rather than
// write otherwise.
func TestRefuses(t *testing.T) {
	for _, js := range []string{
		`{"f":1.5}`,
		`{"s":"tab\tinside"}`,
		`{"s":"trailing space \nline"}`,
		`{"` + strings.Repeat("k", 129) + `":1}`,
		`{"s":"ends\n\n"}`,
	} {
		n, err := Parse([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := Write(nil, n); ok {
			t.Errorf("Write writes %s", js)
		}
	}
}

// TestRandom compares Write with go-yaml on random objects of random
// strings, from an alphabet of the characters that change how YAML
// writes a string, and wants most of them written.
func TestRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	written := 0
	const n = 20000
	for range n {
		js, err := json.Marshal(randomValue(r, 0))
		if err != nil {
			t.Fatal(err)
		}
		if js[0] != '{' {
			continue
		}
		if same(t, js) {
			written++
		}
	}
	if written < n/10 { // the alphabet is hostile: tabs, backslashes, trailing spaces
		t.Errorf("Write wrote only %d of %d random objects", written, n)
	}
}

var pieces = []string{"a", "b", "z", "Y", "n", "0", "1", "9", ".", "-", "_", "/", ":", " ", "  ", "#", "'", "\"", ",", "[", "]", "{", "}",
	"&", "*", "!", "|", ">", "%", "@", "`", "?", "\n", "\t", "é", "日", "\u00a0", "\\", "true", "null", "1.5", "e3", "0x", "---", "...", "~",
	"word ", "http://example.com/a?b=c", "2001-12-14", "1:20"}

func randomString(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(12) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	if r.IntN(8) == 0 {
		for range r.IntN(30) {
			b.WriteString("long words ")
		}
	}
	return b.String()
}

func randomValue(r *rand.Rand, depth int) any {
	switch k := r.IntN(10); {
	case depth < 4 && k < 3:
		m := map[string]any{}
		for range r.IntN(5) {
			key := randomString(r)
			if r.IntN(2) == 0 {
				key = fmt.Sprintf("k%d", r.IntN(20))
			}
			m[key] = randomValue(r, depth+1)
		}
		return m
	case depth < 4 && k < 5:
		var l []any
		for range r.IntN(4) {
			l = append(l, randomValue(r, depth+1))
		}
		return l
	case k == 5:
		return r.IntN(100000) - 50000
	case k == 6:
		return r.IntN(2) == 0
	case k == 7:
		return nil
	}
	return randomString(r)
}

func FuzzWrite(f *testing.F) {
	f.Add(`{"a":"b"}`)
	f.Add(`{"data":{"x":"one\ntwo\n"}}`)
	f.Add(`{"l":[{"a":[1,"x y"]}]}`)
	f.Fuzz(func(t *testing.T, js string) {
		var v map[string]any
		if json.Unmarshal([]byte(js), &v) != nil {
			return
		}
		b, err := json.Marshal(v) // as encoding/json writes it
		if err != nil {
			return
		}
		same(t, b)
	})
}

// TestAppends: Write appends to what buf holds.
func TestAppends(t *testing.T) {
	n, _ := Parse([]byte(`{"a":{"b":1}}`))
	got, ok := Write([]byte("# header\n"), n)
	if want := "# header\na:\n  b: 1\n"; !ok || string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
