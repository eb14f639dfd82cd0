package schema

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func TestPodsEnvSize(t *testing.T) {
	for _, n := range []int32{0, 1, 9, 10, 11, 99, 100, 101, 1234, 100000} {
		var pods []string
		for i := range n {
			pods = append(pods, fmt.Sprintf("db-%d.db-headless.shop.svc.cluster.local", i))
		}
		if got, want := podsEnvSize(n, "db-.db-headless.shop.svc.cluster.local"), len(strings.Join(pods, ",")); got != want {
			t.Errorf("podsEnvSize(%d) = %d, want %d", n, got, want)
		}
	}
}

// TestMaxEnvStringBytes holds maxEnvStringBytes to the kernel: a process
// starts with a variable NAME=VALUE of that many bytes, its NUL included,
// and not with one byte more.
func TestMaxEnvStringBytes(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("MAX_ARG_STRLEN is Linux's")
	}
	start := func(size int) error {
		cmd := exec.Command("/bin/true")
		name := "DB_PODS="
		cmd.Env = []string{name + strings.Repeat("x", size-len(name)-1)} // and the NUL
		return cmd.Run()
	}
	if err := start(maxEnvStringBytes); err != nil {
		t.Errorf("a variable of %d bytes: %v, want a process", maxEnvStringBytes, err)
	}
	if err := start(maxEnvStringBytes + 1); !errors.Is(err, syscall.E2BIG) {
		t.Errorf("a variable of %d bytes: %v, want %v", maxEnvStringBytes+1, err, syscall.E2BIG)
	}
}

// TestPodsEnvLimit: a statefulset as large as the limit allows gives its
// dependents a <APP>_PODS variable that a process starts with; one
// replica more is an error.
func TestPodsEnvLimit(t *testing.T) {
	stack := func(replicas int32) string {
		return fmt.Sprintf(`package shop
namespace: "shop"
apps: db: {kind: "statefulset", image: "redis:7.2", replicas: %d, ports: redis: 6379}
apps: web: {image: "nginx:1.27", uses: ["db"]}
`, replicas)
	}
	largest := int32(1)
	for len("DB_PODS=")+podsEnvSize(largest+1, "db-.db-headless.shop.svc.cluster.local")+1 <= maxEnvStringBytes {
		largest++
	}
	s, err := loadString(t, stack(largest))
	if err != nil {
		t.Fatalf("%d replicas: %v", largest, err)
	}
	var env map[string]string
	for _, a := range s.Apps {
		if a.Name == "web" {
			env = DependencyEnv(a.Dependencies[0])
		}
	}
	if size := len("DB_PODS=") + len(env["DB_PODS"]) + 1; size > maxEnvStringBytes || size < maxEnvStringBytes-64 {
		t.Errorf("%d replicas: DB_PODS is %d bytes with its name and NUL, want at most %d, and near it", largest, size, maxEnvStringBytes)
	}
	if strings.Count(env["DB_PODS"], ",") != int(largest)-1 {
		t.Errorf("DB_PODS names %d pods, want %d", strings.Count(env["DB_PODS"], ",")+1, largest)
	}
	if _, err := loadString(t, stack(largest+1)); err == nil || !strings.Contains(err.Error(), "MAX_ARG_STRLEN") {
		t.Errorf("%d replicas: %v, want the error of a variable too large", largest+1, err)
	}
}
