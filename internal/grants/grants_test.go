package grants

import "testing"

func TestHostPath(t *testing.T) {
	for _, tc := range []struct {
		path     string
		readOnly bool
		want     bool
	}{
		{"/", false, true},
		{"/", true, false},
		{"//", false, true},
		{"/var/run/docker.sock", true, true},
		{"/run/containerd", true, true},
		{"/var/run", false, true},
		{"/var", true, true},
		{"/proc", false, false},
		{"/var/log", false, false},
		{"/run/containerd/containerd.sock.bak", false, false},
	} {
		if got := HostPath(tc.path, tc.readOnly) != ""; got != tc.want {
			t.Errorf("HostPath(%q, readOnly %v) = %q, want a grant: %v", tc.path, tc.readOnly, HostPath(tc.path, tc.readOnly), tc.want)
		}
	}
}
