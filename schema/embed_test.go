package schema

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"
)

// embedModule writes a module with the stack shop, whose app web embeds
// what attr says as its config file app.conf, and the files given, by
// slash path in the module. It returns the module's and the stack's
// directory.
func embedModule(t *testing.T, attr string, files map[string]string) (root, stack string) {
	t.Helper()
	root = t.TempDir()
	all := map[string]string{
		"cue.mod/module.cue": "module: \"example.com/shop\"\nlanguage: version: \"v0.17.0\"\n",
		"shop/app.cue": "@extern(embed)\n\npackage shop\n\napps: web: {\n\timage: \"nginx:1.27\"\n" +
			"\tconfig: files: \"app.conf\": _ @embed(" + attr + ")\n}\n",
	}
	for name, data := range files {
		all[name] = data
	}
	writeFiles(t, root, all)
	return root, filepath.Join(root, "shop")
}

// soon runs fn, and fails the test rather than hang it should fn not
// return.
func soon(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not return", what)
	}
}

// loadSoon is Load under soon.
func loadSoon(t *testing.T, dir string) (s *Stack, err error) {
	t.Helper()
	soon(t, "Load", func() { s, err = Load(dir) })
	return s, err
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestEmbedRefused checks that @embed reads only regular files of the
// module, of at most 1 MiB, UTF-8 unless binary, and that each refusal is
// an error at the attribute that names the app, the field and the file.
func TestEmbedRefused(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		attr  string
		files map[string]string
		setup func(t *testing.T, stack string) // links, pipes, large files
		want  string
	}{
		"link out of the module": {
			attr:  "file=app.conf, type=text",
			setup: func(t *testing.T, stack string) { symlink(t, outside, filepath.Join(stack, "app.conf")) },
			want:  "app.conf is a symbolic link to " + outside + ", which is outside the module",
		},
		"link to an absolute path": {
			attr:  "file=app.conf, type=text",
			setup: func(t *testing.T, stack string) { symlink(t, "/etc/passwd", filepath.Join(stack, "app.conf")) },
			want:  "app.conf is a symbolic link to /etc/passwd, which is outside the module",
		},
		"glob with a link out": {
			attr:  "glob=conf/*.conf, type=text",
			files: map[string]string{"shop/conf/a.conf": "a\n"},
			setup: func(t *testing.T, stack string) { symlink(t, outside, filepath.Join(stack, "conf", "b.conf")) },
			want:  "conf/b.conf is a symbolic link to " + outside + ", which is outside the module",
		},
		"directory linked out": {
			attr: "file=etc/secret.txt, type=text",
			setup: func(t *testing.T, stack string) {
				symlink(t, filepath.Dir(outside), filepath.Join(stack, "etc"))
			},
			want: "etc/secret.txt leads through a symbolic link to " + outside + ", which is outside the module",
		},
		"link into a nested module": {
			attr: "file=app.conf, type=text",
			files: map[string]string{
				"vendor/cue.mod/module.cue": "module: \"example.com/vendor\"\nlanguage: version: \"v0.17.0\"\n",
				"vendor/app.conf":           "x\n",
			},
			setup: func(t *testing.T, stack string) { symlink(t, "../vendor/app.conf", filepath.Join(stack, "app.conf")) },
			want:  "app.conf is a symbolic link to ../vendor/app.conf, which is in another module, that of",
		},
		"named pipe": {
			attr: "file=app.conf, type=text",
			setup: func(t *testing.T, stack string) {
				if err := syscall.Mkfifo(filepath.Join(stack, "app.conf"), 0o644); err != nil {
					t.Skip("no named pipes here:", err)
				}
			},
			want: "app.conf is a named pipe, not a regular file",
		},
		"link to a device": {
			attr:  "file=app.conf, type=text",
			setup: func(t *testing.T, stack string) { symlink(t, "/dev/zero", filepath.Join(stack, "app.conf")) },
			want:  "app.conf is a symbolic link to /dev/zero, which is outside the module",
		},
		"too large": {
			attr: "file=app.conf, type=text",
			setup: func(t *testing.T, stack string) {
				// sparse: the size is what counts, and nothing need be read
				if err := os.Truncate(filepath.Join(stack, "app.conf"), 60<<20); err != nil {
					t.Fatal(err)
				}
			},
			files: map[string]string{"shop/app.conf": ""},
			want:  "app.conf has 62914560 bytes, more than a ConfigMap holds (1048576, 1 MiB)",
		},
		"not UTF-8": {
			attr:  "file=app.conf, type=text",
			files: map[string]string{"shop/app.conf": "line\ncaf\xe9\n"},
			want:  "app.conf is not UTF-8 text: byte 0xe9 at line 2, column 4",
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, stack := embedModule(t, tc.attr, tc.files)
			if tc.setup != nil {
				tc.setup(t, stack)
			}
			_, err := loadSoon(t, stack)
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("err = %v, want one error", err)
			}
			e := errs[0]
			if e.App != "web" || e.Field != `config.files."app.conf"` || filepath.Base(e.File) != "app.cue" || e.Line != 7 || e.Column != 31 ||
				!strings.Contains(e.Msg, "@embed: "+tc.want) {
				t.Errorf("error = %v\nwant app.cue:7:31: app \"web\": config.files.\"app.conf\": @embed: %s…", e, tc.want)
			}
		})
	}
}

// TestEmbedAllowed checks what @embed may read: a link to a file of the
// module, any bytes with type=binary, JSON with a byte order mark; and
// that a text file arrives byte for byte.
func TestEmbedAllowed(t *testing.T) {
	text := "a\r\n\tb \\n \x00 ünï\n"
	_, stack := embedModule(t, "file=link.conf, type=text", map[string]string{
		"conf/real.conf": text,
		"shop/raw.bin":   "\xff\xfe\x00",
		"shop/bom.json":  "\uFEFF{\"v\": \"x\"}",
		"shop/more.cue": "@extern(embed)\n\npackage shop\n\n" +
			"_raw: _ @embed(file=raw.bin, type=binary)\n_json: _ @embed(file=bom.json)\n" +
			"apps: web: env: {RAW: \"\\(len(_raw))\", JSON: _json.v}\n",
	})
	symlink(t, "../conf/real.conf", filepath.Join(stack, "link.conf"))
	s, err := loadSoon(t, stack)
	if err != nil {
		t.Fatal(err)
	}
	app := s.Apps[0]
	if got := app.Config.Files["app.conf"]; got != text {
		t.Errorf("app.conf = %q, want %q", got, text)
	}
	if app.Env["RAW"] != "3" || app.Env["JSON"] != "x" {
		t.Errorf("env = %v, want RAW 3 (bytes) and JSON x", app.Env)
	}
}

// TestEmbedReadsCheckedBytes checks that CUE embeds the bytes kdecl
// checked, not what the file holds when CUE gets to it.
func TestEmbedReadsCheckedBytes(t *testing.T) {
	_, stack := embedModule(t, "file=app.conf, type=text", map[string]string{"shop/app.conf": "checked\n"})
	l, err := newLoader(stack, loadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inst := load.Instances([]string{"."}, &load.Config{Dir: stack, Env: []string{}})[0]
	if inst.Err != nil {
		t.Fatal(inst.Err)
	}
	if err := l.embeds(inst); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(stack, "app.conf")
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(file, 0o644); err != nil {
		t.Skip("no named pipes here:", err)
	}
	var v cue.Value
	soon(t, "BuildInstance", func() { v = cuecontext.New().BuildInstance(inst) })
	v = v.LookupPath(cue.ParsePath(`apps.web.config.files."app.conf"`))
	if got, err := v.String(); got != "checked\n" {
		t.Errorf("app.conf = %q (%v), want the checked %q", got, err, "checked\n")
	}
}
