//go:build !unix

package deploydir

import (
	"context"
	"io/fs"
	"os"
)

// Elsewhere than on Unix, kdecl takes no lock and trusts os.Root alone.
const (
	oNoFollow = 0
	oNonBlock = 0
)

func lock(context.Context, *os.File, func()) error { return nil }

func sameDevice(a, b fs.FileInfo) bool { return true }

func canWrite(string) error { return nil }
