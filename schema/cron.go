package schema

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// cronMacros are the schedules Kubernetes accepts instead of five fields.
var cronMacros = []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}

type cronField struct {
	name     string
	min, max int
	names    []string // names of the values from min on
	question bool     // accepts ? for "no specific value"
}

var cronFields = []cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31, question: true},
	{name: "month", min: 1, max: 12, names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{name: "day of week", min: 0, max: 6, names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}, question: true},
}

// checkSchedule checks a cron schedule the way the CronJob API parses it,
// as written: five fields of lists, ranges, steps, * and ?, month and
// weekday names, or a macro without white space around it.
func checkSchedule(s string) error {
	if t := strings.TrimSpace(s); t != s && strings.HasPrefix(t, "@") {
		return errors.New("remove the white space around the macro")
	}
	if strings.Contains(s, "TZ") {
		return errors.New("set the time zone with timeZone, not in the schedule")
	}
	if strings.HasPrefix(s, "@") {
		for _, m := range cronMacros {
			if s == m {
				return nil
			}
		}
		return fmt.Errorf("unknown macro; use one of %s", strings.Join(cronMacros, ", "))
	}
	fields := strings.Fields(s)
	if len(fields) != len(cronFields) {
		return fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week), got %d", len(fields))
	}
	for i, f := range fields {
		if err := cronFields[i].check(f); err != nil {
			return fmt.Errorf("%s %s: %v", cronFields[i].name, quote(f), err)
		}
	}
	return nil
}

func (cf cronField) check(field string) error {
	for _, item := range strings.Split(field, ",") {
		rng, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			n, err := strconv.Atoi(step)
			if err != nil || n < 1 {
				return fmt.Errorf("step %s is not a positive number", quote(step))
			}
		}
		switch {
		case rng == "*":
			continue
		case rng == "?":
			if !cf.question {
				return errors.New("? is only for day of month and day of week")
			}
			continue
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		from, err := cf.value(lo)
		if err != nil {
			return err
		}
		to := from
		if isRange {
			if to, err = cf.value(hi); err != nil {
				return err
			}
			if to < from {
				return fmt.Errorf("range %s ends before it starts", excerpt(rng))
			}
		}
	}
	return nil
}

func (cf cronField) value(s string) (int, error) {
	for i, name := range cf.names {
		if strings.EqualFold(s, name) {
			return cf.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s is not a number or name", quote(s))
	}
	if n < cf.min || n > cf.max {
		return 0, fmt.Errorf("%d is out of range %d-%d", n, cf.min, cf.max)
	}
	return n, nil
}
