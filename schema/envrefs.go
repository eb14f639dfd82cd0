package schema

import (
	"slices"
	"strings"
)

// EnvRefs are the variables a value of an environment variable, a command
// or an argument refers to as $(NAME), in order, as Kubernetes expands
// them: $$ is a literal $, and a $( without its ) is left as written.
func EnvRefs(s string) []string {
	var refs []string
	for i := 0; i < len(s)-1; i++ {
		if s[i] != '$' {
			continue
		}
		switch s[i+1] {
		case '$':
			i++ // $$ is a $, and what follows it is text
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				return refs
			}
			refs = append(refs, s[i+2:i+2+end])
			i += 2 + end
		}
	}
	return refs
}

// EnvOrder orders variables, given in the order a container should have
// them otherwise, so that each comes after the variables its value refers
// to, which Kubernetes expands only if they come earlier. Among variables
// free to go, the earliest goes first, so that the order changes only
// where a reference needs it. refs(i) are the indices of the variables
// that the value of i refers to. On a cycle, the variables in it keep
// their order (Load refuses a cycle).
func EnvOrder(n int, refs func(i int) []int) []int {
	waits := make([]int, n)     // how many variables i still waits for
	waiters := make([][]int, n) // the variables waiting for i
	for i := range n {
		for _, j := range refs(i) {
			if j != i {
				waits[i]++
				waiters[j] = append(waiters[j], i)
			}
		}
	}
	order := make([]int, 0, n)
	done := make([]bool, n)
	for len(order) < n {
		next := -1
		for i := range n {
			if !done[i] && waits[i] == 0 {
				next = i
				break
			}
		}
		if next < 0 { // a cycle: the earliest left goes
			next = slices.Index(done, false)
		}
		done[next] = true
		order = append(order, next)
		for _, w := range waiters[next] {
			waits[w]--
		}
	}
	return order
}
