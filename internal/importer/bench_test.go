package importer

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kdecl/kdecl/internal/manifest"
)

// manifestsOf is n apps as a team writes them: a Deployment, its Service
// and its ConfigMap each.
func manifestsOf(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `apiVersion: apps/v1
kind: Deployment
metadata: {name: app-%[1]d, namespace: bench}
spec:
  replicas: 2
  selector: {matchLabels: {app: app-%[1]d}}
  template:
    metadata: {labels: {app: app-%[1]d}}
    spec:
      containers:
      - name: app-%[1]d
        image: registry.example.com/app-%[1]d:1.%[1]d
        ports: [{name: http, containerPort: 8080}]
        envFrom: [{configMapRef: {name: app-%[1]d-config}}]
        readinessProbe: {httpGet: {path: /ready, port: http}}
        resources: {requests: {cpu: 100m, memory: 64Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: app-%[1]d, namespace: bench}
spec:
  selector: {app: app-%[1]d}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-%[1]d-config, namespace: bench}
data: {LOG_LEVEL: info, APP_INDEX: "%[1]d"}
---
`, i)
	}
	return []byte(b.String())
}

// BenchmarkImport imports n apps: read, group, write, render, compare.
func BenchmarkImport(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		data := manifestsOf(n)
		b.Run(fmt.Sprintf("apps=%d", n), func(b *testing.B) {
			for b.Loop() {
				docs, err := manifest.Parse("bench.yaml", data)
				if err != nil {
					b.Fatal(err)
				}
				for _, d := range docs {
					manifest.Clean(d.Object)
				}
				res, err := Import(docs, "bench")
				if err != nil {
					b.Fatal(err)
				}
				if !res.Report.Lossless() {
					b.Fatalf("a difference: %v", res.Report.Differences)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/app")
		})
	}
}
