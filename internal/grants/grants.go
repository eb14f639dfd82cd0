// Package grants knows what a pod or a binding gets of the node or the
// cluster that a reviewer must see: render warns of it, and review classes
// a change that adds it as exposure.
package grants

import (
	"path"
	"slices"
	"strings"
)

// RuntimeSockets are where container runtimes listen on a node: whoever
// reaches one starts containers with every privilege there.
var RuntimeSockets = []string{
	"/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock",
	"/run/crio/crio.sock", "/var/run/crio/crio.sock",
	"/run/docker.sock", "/var/run/docker.sock",
	"/run/cri-dockerd.sock", "/var/run/cri-dockerd.sock",
	"/run/podman/podman.sock", "/var/run/podman/podman.sock",
	"/run/k3s/containerd/containerd.sock",
}

// HostPath says what mounting the node's path p gives a container, or ""
// for nothing a reviewer must see: the node's root read-write, or a
// container runtime's socket or a directory that holds one, read-only or
// not (connecting to a socket writes nothing, so a read-only mount does
// not keep a container from it).
func HostPath(p string, readOnly bool) string {
	switch p = path.Clean(p); {
	case p == "/" && !readOnly:
		return "the node's whole file system, to change as root"
	case slices.Contains(RuntimeSockets, p):
		return "the container runtime's socket, which starts containers with every privilege on the node"
	case p != "/" && slices.ContainsFunc(RuntimeSockets, func(s string) bool { return strings.HasPrefix(s, p+"/") }):
		return "it holds the container runtime's socket, which starts containers with every privilege on the node"
	}
	return ""
}

// ClusterAdmin is the ClusterRole with every permission.
const ClusterAdmin = "cluster-admin"

// WideSubjects are the groups and users of a binding that stand for
// anyone, by what they stand for.
var WideSubjects = map[string]string{
	"system:unauthenticated": "anyone who reaches the API server, without credentials",
	"system:anonymous":       "anyone who reaches the API server, without credentials",
	"system:authenticated":   "every user and every service account of the cluster",
	"system:serviceaccounts": "every service account of every namespace, which any pod there can use",
}
