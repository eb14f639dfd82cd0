package randstack

import (
	"fmt"
	"strings"
)

// kindFields sets the fields that belong to the app's kind only: kdecl
// refuses them on another kind.
func (s *stackGen) kindFields(a *app, o *object) {
	g := s.gen
	switch a.kind {
	case "", "deployment", "statefulset", "daemonset":
		s.rollout(a, o)
	}
	switch a.kind {
	case "statefulset":
		if g.p(0.4) {
			o.set("podManagementPolicy", pick(g, "OrderedReady", "Parallel"))
		}
	case "job", "cronjob":
		a.restart = "Never" // kdecl's default
		if g.p(0.5) {
			a.restart = pick(g, "OnFailure", "Never")
			o.set("restartPolicy", a.restart)
		}
		if g.p(0.6) {
			j := &object{}
			if g.p(0.4) {
				j.set("completions", g.int32(1, 1, 2, 10, 100000))
			}
			if g.p(0.4) {
				j.set("parallelism", g.int32(0, 1, 2, 5))
			}
			if g.p(0.4) {
				j.set("backoffLimit", g.int32(0, 0, 6))
			}
			if g.p(0.4) {
				j.set("activeDeadlineSeconds", g.integer(1, maxInt64, 60, 600, 3600))
			}
			if g.p(0.4) {
				j.set("ttlSecondsAfterFinished", g.int32(0, 0, 100, 86400))
				a.ttl = true
			}
			o.set("job", j)
		}
	}
	if a.kind != "cronjob" {
		return
	}
	o.set("schedule", g.schedule())
	if g.p(0.4) {
		o.set("timeZone", g.timeZone())
	}
	if g.p(0.4) {
		o.set("concurrencyPolicy", pick(g, "Allow", "Forbid", "Replace"))
	}
	if g.p(0.3) {
		o.set("startingDeadlineSeconds", g.integer(0, maxInt64, 10, 60, 200))
	}
	if g.p(0.3) {
		o.set("suspend", g.p(0.5))
	}
	if g.p(0.3) {
		o.set("successfulJobsHistoryLimit", g.int32(0, 1, 3))
	}
	if g.p(0.3) {
		o.set("failedJobsHistoryLimit", g.int32(0, 1, 3))
	}
}

// rollout sets how a deployment, statefulset or daemonset replaces its
// pods: numbers and percentages of pods that are valid, except at the
// stack's risk none may go or come (both 0), a percentage passes 100%, or
// the deadline comes before the pods are ready.
func (s *stackGen) rollout(a *app, o *object) {
	g := s.gen
	pods := func() any {
		if g.p(0.5) {
			return g.integer(0, maxInt32, 0, 1, 2)
		}
		return fmt.Sprintf("%d%%", g.integer(0, 100, 0, 25, 50, 100))
	}
	nonzero := func() any {
		if g.p(0.5) {
			return g.integer(1, maxInt32, 1, 2)
		}
		return fmt.Sprintf("%d%%", g.integer(1, 100, 25, 50, 100))
	}
	over := func() any { return pick[any](g, "101%", "150%", "1000%") }
	// A deployment's progress deadline, 600 seconds unless set, comes
	// after minReadySeconds, except at the stack's risk.
	deadline := int64(-1)
	if (a.kind == "" || a.kind == "deployment") && g.p(0.3) {
		deadline = g.integer(1, maxInt32, 600, 3600)
	}
	if g.p(0.3) {
		ready := g.integer(0, maxInt32, 0, 10, 30)
		if a.kind == "" || a.kind == "deployment" {
			limit := deadline
			if limit < 0 {
				limit = 600
			}
			ready = g.integer(0, limit-1, 0, 10, 30)
			if g.rare() {
				ready = limit
			}
		}
		o.set("minReadySeconds", ready)
	}
	if g.p(0.3) {
		o.set("revisionHistoryLimit", g.integer(0, maxInt32, 0, 3, 10))
	}
	switch a.kind {
	case "", "deployment":
		if deadline > 0 {
			o.set("progressDeadlineSeconds", deadline)
		}
		if g.p(0.4) {
			st := &object{}
			if g.p(0.3) {
				st.set("type", "Recreate")
				if g.rare() {
					st.set("maxSurge", pods())
				}
			} else {
				if g.p(0.5) {
					st.set("type", "RollingUpdate")
				}
				surge, unavailable := pods(), nonzero()
				if g.p(0.5) {
					surge, unavailable = nonzero(), pods()
				}
				if g.rare() {
					surge, unavailable = pick[any](g, 0, "0%"), pick[any](g, 0, "0%", over())
				}
				st.set("maxSurge", surge)
				st.set("maxUnavailable", unavailable)
			}
			o.set("strategy", st)
		}
	case "statefulset":
		if g.p(0.4) {
			u := &object{}
			typ := ""
			if g.p(0.6) {
				typ = pick(g, "RollingUpdate", "OnDelete")
				u.set("type", typ)
			}
			if typ != "OnDelete" && g.p(0.5) {
				u.set("partition", g.integer(0, maxInt32, 0, 1, a.replicas))
			}
			o.set("updateStrategy", u)
		}
	case "daemonset":
		if g.p(0.5) {
			u := &object{}
			if g.p(0.3) {
				u.set("type", "OnDelete")
			} else {
				if g.p(0.5) {
					u.set("type", "RollingUpdate")
				}
				// a daemonset surges or leaves nodes unavailable, not both
				if g.p(0.5) {
					u.set("maxUnavailable", nonzero())
				} else {
					u.set("maxUnavailable", pick[any](g, 0, "0%"))
					u.set("maxSurge", nonzero())
				}
				if g.rare() {
					u.set(pick(g, "maxUnavailable", "maxSurge"), pick[any](g, 0, over()))
				}
			}
			o.set("updateStrategy", u)
		}
	}
}

var cronMacros = []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}

type cronField struct {
	min, max int
	names    []string
	question bool
}

var cronFields = []cronField{
	{min: 0, max: 59},
	{min: 0, max: 23},
	{min: 1, max: 31, question: true},
	{min: 1, max: 12, names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{min: 0, max: 6, names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}, question: true},
}

// schedule is a macro or five fields of values, names, ranges, steps and
// lists; separated by other whitespace than one space, or with space
// around it, at the stack's risk.
func (g *gen) schedule() string {
	var s string
	if g.p(0.3) {
		s = pick(g, cronMacros...)
	} else {
		fields := make([]string, len(cronFields))
		for i, f := range cronFields {
			fields[i] = g.cronField(f)
		}
		sep := " "
		if g.rare() {
			sep = pick(g, "\t", "  ", " \t ")
		}
		s = strings.Join(fields, sep)
	}
	if g.rare() {
		s = pick(g, " "+s, s+" ", "\t"+s, " "+s+" ", s+"\n")
	}
	return s
}

func (g *gen) cronField(f cronField) string {
	value := func() string {
		if len(f.names) > 0 && g.p(0.3) {
			n := pick(g, f.names...)
			return pick(g, n, strings.ToUpper(n), strings.ToUpper(n[:1])+n[1:])
		}
		return fmt.Sprint(g.integer(int64(f.min), int64(f.max)))
	}
	item := func() string {
		switch x := g.r.IntN(100); {
		case x < 35:
			return value()
		case x < 60:
			lo := g.between(f.min, f.max)
			return fmt.Sprintf("%d-%d", lo, g.between(lo, f.max))
		default:
			step := g.integer(1, int64(f.max-f.min+1), 2, 5, 15)
			if g.rare() {
				step = int64(f.max + 1 + g.r.IntN(100))
			}
			return fmt.Sprintf("%s/%d", pick(g, "*", value(), fmt.Sprintf("%d-%d", f.min, f.max)), step)
		}
	}
	switch x := g.r.IntN(100); {
	case x < 40:
		return "*"
	case x < 45 && f.question:
		return "?"
	case x < 85:
		return item()
	default:
		items := make([]string, g.between(2, 4))
		for i := range items {
			items[i] = item()
		}
		return strings.Join(items, ",")
	}
}

// timeZone is an IANA name kdecl knows; some are links, old names, or
// other files of the time zone database.
func (g *gen) timeZone() string {
	if g.rare() {
		return pick(g, "posix/Europe/Berlin", "right/UTC", "America/Argentina/ComodRivadavia", "Factory", "GMT+0", "Etc/GMT-0", "localtime", "posixrules", "")
	}
	return pick(g, "UTC", "Etc/UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "America/Argentina/Buenos_Aires",
		"Etc/GMT+12", "Etc/GMT-14", "Pacific/Chatham", "Asia/Kathmandu", "America/Port-au-Prince", "Antarctica/DumontDUrville", "Europe/Kyiv",
		"America/Nuuk", "GMT", "Zulu", "UCT", "EST5EDT", "US/Pacific", "Europe/London")
}
