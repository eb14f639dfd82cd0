package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// cluster is an etcd and a kube-apiserver running on 127.0.0.1, and the
// kubeconfig that reaches them. Nothing here talks to any other address.
type cluster struct {
	dir        string // logs, data, certs, kubeconfig
	kubectl    string
	kubeconfig string
	procs      []*exec.Cmd
}

// startCluster starts etcd and kube-apiserver from binDir (kube-apiserver,
// kubectl) and waits until the API server is ready.
func startCluster(ctx context.Context, binDir, dir string) (*cluster, error) {
	c := &cluster{dir: dir, kubectl: filepath.Join(binDir, "kubectl")}
	for _, bin := range []string{"kube-apiserver", "kubectl"} {
		if _, err := os.Stat(filepath.Join(binDir, bin)); err != nil {
			return nil, fmt.Errorf("%v (make e2e builds it)", err)
		}
	}
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		return nil, fmt.Errorf("etcd: %v (make e2e installs Debian's etcd-server)", err)
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	if err := c.start(ctx, "etcd", etcd,
		"--name=e2e",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=e2e="+peerURL,
	); err != nil {
		return nil, err
	}

	token, err := c.writeCredentials()
	if err != nil {
		c.stop()
		return nil, err
	}
	server := fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	if err := c.start(ctx, "kube-apiserver", filepath.Join(binDir, "kube-apiserver"),
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ports[2]),
		"--endpoint-reconciler-type=none",
		"--cert-dir="+filepath.Join(dir, "certs"),
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+filepath.Join(dir, "sa.key"),
		"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range=10.96.0.0/24",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		// As kubeadm, kind and managed clusters run it: node agents
		// (a CSI driver's Bidirectional mount) need privileged containers.
		"--allow-privileged=true",
	); err != nil {
		c.stop()
		return nil, err
	}
	c.kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(c.kubeconfig, []byte(kubeconfig(server, token)), 0o600); err != nil {
		c.stop()
		return nil, err
	}
	if err := c.waitReady(ctx, server, token); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// start runs a server process with its output in dir/<name>.log. It dies
// with the test process (Pdeathsig) and is stopped by pid in stop.
func (c *cluster) start(ctx context.Context, name, bin string, args ...string) error {
	log, err := os.Create(filepath.Join(c.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	c.procs = append(c.procs, cmd)
	go func() {
		cmd.Wait()
		log.Close()
	}()
	return nil
}

// stop kills every process by pid (its whole process group), newest first.
func (c *cluster) stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i].Process
		syscall.Kill(-p.Pid, syscall.SIGKILL)
		p.Kill()
	}
	c.procs = nil
}

// writeCredentials writes the token file and the service account key, and
// returns the admin token.
func (c *cluster) writeCredentials() (string, error) {
	b := make([]byte, 16)
	rand.Read(b)
	token := hex.EncodeToString(b)
	if err := os.WriteFile(filepath.Join(c.dir, "tokens.csv"),
		[]byte(token+",admin,admin,system:masters\n"), 0o600); err != nil {
		return "", err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	return token, os.WriteFile(filepath.Join(c.dir, "sa.key"),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

func kubeconfig(server, token string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: %s
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: %s
contexts:
- name: e2e
  context:
    cluster: e2e
    user: admin
current-context: e2e
`, server, token)
}

// waitReady polls /readyz until the server answers 200, a process exits,
// or two minutes pass.
func (c *cluster) waitReady(ctx context.Context, server, token string) error {
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, // self-signed, loopback only
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		for _, p := range c.procs {
			if p.ProcessState != nil {
				return fmt.Errorf("%s exited: %s\n%s", filepath.Base(p.Path), p.ProcessState, c.logTail(filepath.Base(p.Path)))
			}
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", server+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("kube-apiserver not ready after 2m\n%s", c.logTail("kube-apiserver"))
}

func (c *cluster) logTail(name string) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, name+".log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-30):], "\n")
}

// run runs kubectl against the cluster and returns its stdout and stderr.
func (c *cluster) run(args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(c.kubectl, append([]string{"--kubeconfig", c.kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG=", "KUBECTL_EXTERNAL_DIFF=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// exitCode is the exit code of a finished kubectl, or -1.
func exitCode(err error) int {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	return -1
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
