// Command kdecl renders application stacks written in CUE into Kubernetes
// manifests.
package main

import "os"

func main() { os.Exit(Main()) }
