package deploydir

import (
	"os"
	"syscall"
)

// fdRenames is whether renameat is there.
const fdRenames = true

// renameat renames oldName in the directory from to newName in the
// directory to; a symbolic link named newName is replaced, not followed.
func renameat(from *os.File, oldName string, to *os.File, newName string) error {
	return syscall.Renameat(int(from.Fd()), oldName, int(to.Fd()), newName)
}
