//go:build !linux

package deploydir

import (
	"errors"
	"os"
)

// Elsewhere than on Linux, os.Root renames (see renameAll).
const fdRenames = false

func renameat(*os.File, string, *os.File, string) error { return errors.ErrUnsupported }
