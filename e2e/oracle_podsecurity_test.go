package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// enforceLabel is the label of a Namespace whose Pod Security level the
// API server's PodSecurity admission enforces on Pods.
const enforceLabel = "pod-security.kubernetes.io/enforce"

// dryRunPods creates, with a server-side dry run, the Pods that the
// controllers make of the workloads of each stack whose Namespace
// enforces a Pod Security level: the server's PodSecurity admission
// checks Pods, not workloads, so only this proves that kdecl's check
// of podSecurity lets through no pod the server refuses. What only other
// admission plugins check, against objects a dry run does not create
// (the ServiceAccount, a PriorityClass and the preemption policy it
// gives, a RuntimeClass), is cleared;
// each namespace gets the ServiceAccount default, as a controller
// manager gives it.
func dryRunPods(t *testing.T, dir, sentinel string, stacks []*oracleStack) {
	podsDir := filepath.Join(dir, "pods")
	if err := os.RemoveAll(podsDir); err != nil {
		t.Fatal(err)
	}
	accounts, pods := map[string]*oracleStack{}, map[string]*oracleStack{}
	n := 0
	for _, s := range stacks {
		namespace := ""
		for _, m := range s.objects {
			if m.obj != nil && m.kind == "Namespace" && m.obj.GetLabels()[enforceLabel] != "" {
				namespace = m.obj.GetName()
			}
		}
		if namespace == "" {
			continue
		}
		sd := filepath.Join(podsDir, strconv.Itoa(s.index))
		for _, m := range s.objects {
			if m.obj == nil || m.obj.GetNamespace() != namespace {
				continue
			}
			pod, err := controllerPod(m.obj)
			if err != nil || pod == nil {
				continue // checkPods reports what does not convert
			}
			pod.Spec.ServiceAccountName, pod.Spec.DeprecatedServiceAccount = "", ""
			pod.Spec.PriorityClassName, pod.Spec.Priority, pod.Spec.PreemptionPolicy, pod.Spec.RuntimeClassName = "", nil, nil, nil
			b, err := json.Marshal(pod) // YAML cannot hold every string the stacks draw
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(sd, fmt.Sprintf("%s-%s.json", m.kind, m.obj.GetName())), b)
			n++
		}
		if _, err := os.Stat(sd); err == nil {
			pods[sd] = s
			f := filepath.Join(podsDir, strconv.Itoa(s.index)+"-account.yaml")
			writeFile(t, f, []byte("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: "+namespace+"}\n"))
			accounts[f] = s
		}
	}
	if len(pods) == 0 {
		return
	}
	applyBatch(t, "create the ServiceAccount default", []string{"apply"}, sentinel, accounts)
	// Created, as a controller creates them: kubectl apply would add a
	// copy of each Pod in an annotation, which no controller's Pod has.
	accepted, refused := applyBatch(t, "server-side dry run of the controllers' Pods", []string{"create", "--dry-run=server", "-R"}, sentinel, pods)
	if accepted+refused != n {
		t.Errorf("kubectl create --dry-run=server of %d Pods accounted for %d", n, accepted+refused)
	}
	t.Logf("%d Pods of %d stacks whose namespace enforces a Pod Security level: %d accepted", n, len(pods), accepted)
}
