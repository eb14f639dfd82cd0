package schema

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// envContainer is what envRefs needs of one container.
type envContainer struct {
	at      []string          // the container's field; nil for the app's
	values  map[string]string // variables with a value, which Kubernetes expands
	fields  map[string][]string
	defined map[string]bool // every variable of the container
	command []string
	args    []string
}

// envRefs checks the $(VAR) references of the app's containers, which
// Kubernetes expands in the values of variables, in commands and in args.
// The generators put every variable after those it refers to. A
// reference to no variable of the container is a warning: Kubernetes
// leaves it as written. Variables that refer to one another in a cycle
// are an error: none of them can come first.
func (c *appChecker) envRefs() {
	a := c.app
	main := envContainer{values: map[string]string{}, fields: map[string][]string{}, defined: map[string]bool{},
		command: a.Command, args: a.Args}
	for name := range c.envNames {
		main.defined[name] = true
	}
	for name, v := range a.Env {
		main.values[name], main.fields[name] = v, []string{"env", name}
	}
	if cfg := a.Config; cfg != nil {
		for name, file := range cfg.FileEnv {
			main.values[name], main.fields[name] = cfg.FilePath(file), []string{"config", "fileEnv", name}
		}
	}
	for _, cfg := range a.Shared {
		for name, file := range cfg.FileEnv {
			main.values[name], main.fields[name] = cfg.FilePath(file), []string{"configs", index(cfg.At)}
		}
	}
	containers := []envContainer{main}
	add := func(field []string, ctr Container) {
		e := envContainer{at: field, values: ctr.Env, fields: map[string][]string{}, defined: map[string]bool{},
			command: ctr.Command, args: ctr.Args}
		for name := range ctr.Env {
			e.defined[name] = true
			e.fields[name] = at(field, "env", name)
		}
		containers = append(containers, e)
	}
	for _, name := range slices.Sorted(maps.Keys(a.Sidecars)) {
		add([]string{"sidecars", name}, a.Sidecars[name])
	}
	for i, ctr := range a.InitContainers {
		add([]string{"initContainers", index(i)}, ctr)
	}
	// The variables of Secrets in secrets.envFrom come first, under names
	// kdecl does not know.
	open := len(a.Secrets.EnvFrom) > 0
	for _, e := range containers {
		c.envCycles(e)
		for _, name := range slices.Sorted(maps.Keys(e.values)) {
			c.undefinedRefs(e, e.values[name], open && e.at == nil, e.fields[name])
		}
		for i, s := range e.command {
			c.undefinedRefs(e, s, open && e.at == nil, at(e.at, "command", index(i)))
		}
		for i, s := range e.args {
			c.undefinedRefs(e, s, open && e.at == nil, at(e.at, "args", index(i)))
		}
	}
}

// undefinedRefs warns of the references in s to no variable of e.
func (c *appChecker) undefinedRefs(e envContainer, s string, open bool, field []string) {
	for _, ref := range EnvRefs(s) {
		if e.defined[ref] || open {
			continue
		}
		msg := fmt.Sprintf("$(%s) refers to no environment variable of the container; Kubernetes leaves it as written", excerpt(ref))
		if s := suggest(ref, slices.Sorted(maps.Keys(e.defined))); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		} else if _, ok := c.envNames[ref]; ok && e.at != nil {
			msg += fmt.Sprintf(" (%s is the app's container's; set it in %s.env too)", ref, fieldString(e.at))
		}
		c.warn(msg, field...)
	}
}

// envCycles fails a variable of each cycle of references in e.
func (c *appChecker) envCycles(e envContainer) {
	reported := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(e.values)) {
		path := refPath(e.values, name, name)
		if reported[name] {
			continue
		}
		for _, v := range path {
			reported[v] = true
		}
		switch {
		case path == nil:
		case len(path) == 1:
			c.fail(fmt.Sprintf("$(%s) refers to the variable itself, which Kubernetes cannot expand", excerpt(name)), e.fields[name]...)
		default:
			c.fail(fmt.Sprintf("refers to %s: variables that refer to one another in a cycle cannot be expanded, as Kubernetes expands only variables defined before", strings.Join(path, ", which refers to ")), e.fields[name]...)
		}
	}
}

// refPath is the shortest chain of references from the value of from to
// the variable to, through variables with values: [to] if the value of
// from refers to to, nil if no chain leads there.
func refPath(values map[string]string, from, to string) []string {
	prev := map[string]string{}
	queue := []string{from}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, ref := range EnvRefs(values[v]) {
			if ref == to {
				path := []string{to}
				for p := v; p != from; p = prev[p] {
					path = append([]string{p}, path...)
				}
				return path
			}
			if _, ok := values[ref]; ok && ref != from {
				if _, seen := prev[ref]; !seen {
					prev[ref] = v
					queue = append(queue, ref)
				}
			}
		}
	}
	return nil
}
