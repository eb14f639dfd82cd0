//go:build unix

package deploydir

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"
)

const (
	oNoFollow = syscall.O_NOFOLLOW
	oNonBlock = syscall.O_NONBLOCK
)

// lock takes an exclusive flock on the directory f. The kernel releases
// it when the process ends, however it ends, so a crash never leaves a
// directory locked. While another process holds it, lock calls waiting
// once and polls until the lock is free or ctx is done.
func lock(ctx context.Context, f *os.File, waiting func()) error {
	for first := true; ; first = false {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		if first && waiting != nil {
			waiting()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func sameDevice(a, b fs.FileInfo) bool {
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	return !ok1 || !ok2 || sa.Dev == sb.Dev
}

func canWrite(dir string) error {
	return syscall.Access(dir, 0x2) // W_OK
}
