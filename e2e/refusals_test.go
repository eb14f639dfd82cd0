package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestRefusals: what kdecl refuses in overrides and objects
// (testdata/error_api_fragments.txtar, error_overrides_spellings.txtar,
// error_objects_containers.txtar, error_api_hugepages.txtar,
// error_overrides_mounts.txtar), the API
// server refuses too, for the same reason: kdecl's rules for them are the
// server's, not stricter.
// Each case is the object kdecl would have rendered, written out.
func TestRefusals(t *testing.T) {
	createNamespace(t, "refusals")
	deployment := func(pod string) string {
		return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
` + indent(pod, "      ")
	}
	cronJob := func(job string) string {
		return `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: nightly, image: busybox}]
` + indent(job, "      ")
	}
	ingress := func(path string) string {
		return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: front}
spec:
  rules:
  - http:
      paths:
      - backend: {service: {name: web, port: {number: 80}}}
` + indent(path, "        ")
	}
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"a Service named with a dot", "apiVersion: v1\nkind: Service\nmetadata: {name: web.v2}\nspec: {ports: [{port: 80}]}\n",
			"metadata.name: Invalid value"},
		{"a StatefulSet named with a dot", `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db.v2}
spec:
  selector: {matchLabels: {app: db}}
  serviceName: db
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres}]}
`, "metadata.name: Invalid value"},
		{"a ConfigMap key with ..", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: files}\ndata: {..x: v}\n",
			"data[..x]: Invalid value"},
		{"a CustomResourceDefinition not named plural.group", `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.org
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`, `must be spec.names.plural+"."+spec.group`},
		{"a label value", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: tagged, labels: {tier: -front}}\n",
			"metadata.labels: Invalid value"},
		{"an annotation key", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: tagged, annotations: {a b: c}}\n",
			"metadata.annotations: Invalid value"},
		{"a Deployment's restart policy", deployment("restartPolicy: Never"), "spec.template.spec.restartPolicy: Unsupported value"},
		{"a Job without a restart policy", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec: {template: {spec: {containers: [{name: c, image: busybox}]}}}\n",
			"spec.template.spec.restartPolicy: Required value"},
		{"an Ingress path without a type", ingress("path: /"), "pathType: Required value"},
		{"an Ingress path not absolute", ingress("path: api\npathType: Prefix"), "path: Invalid value"},
		{"an Ingress path with //", ingress("path: /a//b\npathType: Exact"), "path: Invalid value"},
		{"a termination message policy", strings.Replace(deployment(""), "image: nginx}", "image: nginx, terminationMessagePolicy: Always}", 1),
			"terminationMessagePolicy: Unsupported value"},
		{"a deadline for a Deployment's pods", deployment("activeDeadlineSeconds: 60"), "activeDeadlineSeconds: Forbidden"},
		{"a mount of no volume of the pod", strings.Replace(deployment(""), "image: nginx}", "image: nginx, volumeMounts: [{name: cache, mountPath: /cache}]}", 1),
			"volumeMounts[0].name: Not found"},
		{"a deadline past 32 bits", `apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec: {template: {spec: {restartPolicy: Never, activeDeadlineSeconds: 3000000000, containers: [{name: c, image: busybox}]}}}
`, "activeDeadlineSeconds: Invalid value"},
		{"a toleration without a key", deployment("tolerations: [{operator: Equal, value: x}]"), "operator: Invalid value"},
		{"a toleration Exists with a value", deployment("tolerations: [{key: dedicated, operator: Exists, value: web}]"), "operator: Invalid value"},
		{"tolerationSeconds without NoExecute", deployment("tolerations: [{key: dedicated, value: web, tolerationSeconds: 30}]"), "effect: Invalid value"},
		{"a toleration Gt", deployment("tolerations: [{key: cores, operator: Gt, value: '4'}]"), "operator: Unsupported value"},
		{"a node selector key", deployment("nodeSelector: {disk type: ssd}"), "spec.template.spec.nodeSelector: Invalid value"},
		{"a node selector value", deployment("nodeSelector: {zone: eu west}"), "spec.template.spec.nodeSelector: Invalid value"},
		{"source ranges on a ClusterIP Service", `apiVersion: v1
kind: Service
metadata:
  name: web
  annotations: {service.beta.kubernetes.io/load-balancer-source-ranges: 10.0.0.0/8}
spec: {ports: [{port: 80}]}
`, "may only be used when `type` is 'LoadBalancer'"},
		{"a container without an image", strings.Replace(deployment(""), "image: nginx}", "image: nginx}, {name: log}", 1),
			"spec.template.spec.containers[1].image: Required value"},
		{"a container port past 65535", strings.Replace(deployment(""), "image: nginx}", "image: nginx, ports: [{containerPort: 70000}]}", 1),
			"containerPort: Invalid value"},
		{"a port name with capitals", strings.Replace(deployment(""), "image: nginx}", "image: nginx, ports: [{name: Metrics_Port, containerPort: 9113}]}", 1),
			"ports[0].name: Invalid value"},
		{"a variable name with =", strings.Replace(deployment(""), "image: nginx}", "image: nginx, env: [{name: A=B, value: x}]}", 1),
			"env[0].name: Invalid value"},
		{"a request above its limit", strings.Replace(deployment(""), "image: nginx}", "image: nginx, resources: {requests: {cpu: 2}, limits: {cpu: 1}}}", 1),
			"resources.requests: Invalid value"},
		{"huge pages without cpu or memory", strings.Replace(deployment(""), "image: nginx}", "image: nginx, resources: {limits: {hugepages-2Mi: 2Mi}}}", 1),
			"HugePages require cpu or memory"},
		{"huge pages of part of a page", strings.Replace(deployment(""), "image: nginx}", "image: nginx, resources: {limits: {memory: 1Gi, hugepages-2Mi: 3Mi}}}", 1),
			"is not positive integer multiple of hugepages-2Mi"},
		{"a mount of no volume", strings.Replace(deployment(""), "image: nginx}", "image: nginx, volumeMounts: [{name: nope, mountPath: /a}]}", 1),
			"volumeMounts[0].name: Not found"},
		{"one mount path twice", strings.Replace(deployment("volumes: [{name: a, emptyDir: {}}]"), "image: nginx}",
			"image: nginx, volumeMounts: [{name: a, mountPath: /a}, {name: a, mountPath: /a, subPath: x}]}", 1),
			"mountPath: Invalid value"},
		{"an init container named as a container", deployment("initContainers: [{name: web, image: busybox}]"),
			"initContainers[0].name: Duplicate value"},
		{"two Service ports of one name", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{name: http, port: 80}, {name: http, port: 81}]}\n",
			"spec.ports[1].name: Duplicate value"},
		{"an empty time zone", strings.Replace(cronJob(""), `schedule: "0 3 * * *"`, `schedule: "0 3 * * *"`+"\n  timeZone: \"\"", 1),
			"timeZone: Invalid value"},
		{"a network sysctl with the node's network", deployment("hostNetwork: true\nsecurityContext: {sysctls: [{name: net.core.somaxconn, value: '1024'}]}"),
			"may not be specified when 'hostNetwork' is true"},
		{"an IPC sysctl with the node's IPC", deployment("hostIPC: true\nsecurityContext: {sysctls: [{name: kernel/msgmax, value: '65536'}]}"),
			"may not be specified when 'hostIPC' is true"},
		{"a sysctl's name with a star", deployment("securityContext: {sysctls: [{name: kernel.shm*, value: '1'}]}"),
			"sysctls[0].name: Invalid value"},
		{"one sysctl twice", deployment("securityContext: {sysctls: [{name: vm.max_map_count, value: '1'}, {name: vm.max_map_count, value: '2'}]}"),
			"sysctls[1].name: Duplicate value"},
		{"an init container's host port twice", deployment("initContainers: [{name: setup, image: busybox, ports: [{containerPort: 867, hostPort: 8080}, {containerPort: 585, hostPort: 8080}]}]"),
			"initContainers[0].ports[1].hostPort: Duplicate value"},
		{"a headless Service's port twice", "apiVersion: v1\nkind: Service\nmetadata: {name: db-headless}\nspec: {clusterIP: None, ports: [{name: pg, port: 65535, targetPort: pg}, {name: admin, port: 65535, targetPort: admin}]}\n",
			"spec.ports[1]: Duplicate value"},
		{"an Indexed Job with parallelism and no completions", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec: {completionMode: Indexed, parallelism: 2, template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}\n",
			"completions: Required value: when completion mode is Indexed"},
		{"an Indexed CronJob without completions", cronJob("completionMode: Indexed"),
			"completions: Required value: when completion mode is Indexed"},
		{"a per-index backoff without Indexed", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec: {backoffLimitPerIndex: 1, template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}\n",
			"backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode"},
		{"failed indexes past completions", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec: {completionMode: Indexed, completions: 10, backoffLimitPerIndex: 1, maxFailedIndexes: 20, template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}\n",
			"maxFailedIndexes: Invalid value: 20: must be less than or equal to completions"},
		{"a podFailurePolicy with OnFailure", cronJob("podFailurePolicy: {rules: [{action: Ignore, onExitCodes: {operator: In, values: [42]}}]}"),
			"restartPolicy: Invalid value"},
		{"a podReplacementPolicy with a podFailurePolicy", strings.Replace(cronJob(
			"podReplacementPolicy: TerminatingOrFailed\npodFailurePolicy: {rules: [{action: Ignore, onExitCodes: {operator: In, values: [42]}}]}"),
			"OnFailure", "Never", 1), "podReplacementPolicy: Unsupported value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := filepath.Join(t.TempDir(), "object.yaml")
			writeFile(t, f, []byte(tc.yaml))
			out, stderr, err := k8s.run("apply", "--dry-run=server", "-n", "refusals", "-f", f)
			if err == nil {
				t.Fatalf("the API server accepted it:\n%s%s", out, tc.yaml)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("refused, but not with %q:\n%s", tc.want, stderr)
			}
		})
	}
}

// indent indents every line of s by prefix.
func indent(s, prefix string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for line := range strings.Lines(s) {
		fmt.Fprintf(&b, "%s%s", prefix, line)
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}
