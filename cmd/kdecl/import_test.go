package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportSecretFiles: a Secret volume imports as secrets.files, which
// kdecl secrets then lists among the Secrets to create.
func TestImportSecretFiles(t *testing.T) {
	out := filepath.Join(t.TempDir(), "web")
	var stdout, stderr bytes.Buffer
	args := []string{"import", testdata("import/cases/secret-volume.yaml"), "-o", out}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("kdecl %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"secrets", out}, &stdout, &stderr); err != nil {
		t.Fatalf("kdecl secrets: %v\n%s", err, stderr.String())
	}
	for _, s := range []string{"web-tls", "web-key"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("kdecl secrets does not list %s:\n%s", s, stdout.String())
		}
	}
}
