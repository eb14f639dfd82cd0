package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"
)

const versionDoc = `usage: kdecl version [--format text|json]

Version prints kdecl's version, the Go version it was built with, and the
Kubernetes API version it generates objects for (that of k8s.io/api). A
release installed with 'go install ...@VERSION' is that version; a build
of a checkout is its git revision, marked dirty when the checkout had
uncommitted changes.

Flags:
      --format FORMAT        text (default) or json

Examples:
  kdecl version
  kdecl version --format json
`

// versionInfo is what kdecl version prints.
type versionInfo struct {
	// Version is the module version of a release, or the git revision of
	// a build of a checkout; "(devel)" when neither is known.
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Dirty    bool   `json:"dirty,omitempty"`
	Go       string `json:"go"`
	// Kubernetes is the API version kdecl generates for, v1.37 for
	// k8s.io/api v0.37.x; KubernetesModule is that module's version.
	Kubernetes       string `json:"kubernetes"`
	KubernetesModule string `json:"k8sAPIModule"`
	CUE              string `json:"cue"`
}

type versionFlags struct {
	formatFlag
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f versionFlags
	fs := pflag.NewFlagSet("version", pflag.ContinueOnError)
	f.register(fs, "output", "text", "json")
	if ok, err := parseFlags(fs, versionDoc, args, 0, stdout); !ok {
		return err
	}
	if err := f.resolve(fs, stderr); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo()
	v := readVersion(info)
	if f.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	_, err := io.WriteString(stdout, v.text())
	return err
}

// readVersion reads kdecl's version from its build information.
func readVersion(info *debug.BuildInfo) versionInfo {
	v := versionInfo{Version: "(devel)"}
	if info == nil {
		return v
	}
	v.Go = info.GoVersion
	if m := info.Main.Version; m != "" && m != "(devel)" {
		v.Version = m
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Dirty = s.Value == "true"
		}
	}
	if v.Version == "(devel)" && v.Revision != "" {
		v.Version = shortRevision(v.Revision)
		if v.Dirty {
			v.Version += "+dirty" // as Go writes a pseudo-version's
		}
	}
	for _, d := range info.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		switch d.Path {
		case "k8s.io/api":
			v.KubernetesModule = d.Version
			v.Kubernetes = kubernetesVersion(d.Version)
		case "cuelang.org/go":
			v.CUE = d.Version
		}
	}
	return v
}

// kubernetesVersion is the Kubernetes release of a k8s.io/api version:
// v0.37.2 is the API of Kubernetes v1.37.
func kubernetesVersion(api string) string {
	parts := strings.SplitN(strings.TrimPrefix(api, "v0."), ".", 2)
	if len(parts) != 2 || !strings.HasPrefix(api, "v0.") {
		return api
	}
	return "v1." + parts[0]
}

func shortRevision(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}

func (v versionInfo) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kdecl %s\n", v.Version)
	if v.Revision != "" {
		fmt.Fprintf(&b, "revision: %s\n", v.Revision)
	}
	fmt.Fprintf(&b, "go: %s\n", v.Go)
	fmt.Fprintf(&b, "kubernetes: %s (k8s.io/api %s)\n", v.Kubernetes, v.KubernetesModule)
	fmt.Fprintf(&b, "cue: %s\n", v.CUE)
	return b.String()
}
