package main

import (
	"os"
	"syscall"
	"unsafe"
)

// isTerminal is whether f is a terminal: an ioctl that only terminals
// answer.
func isTerminal(f *os.File) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}
