//go:build !linux

package main

import "os"

// isTerminal is false where kdecl does not know how to ask: no progress.
func isTerminal(*os.File) bool { return false }
