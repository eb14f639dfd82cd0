package schema

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// headless checks the app's headless Service: a workload whose pods
// serve, a Service name, and not the name of the app's other Service.
func (c *appChecker) headless() {
	a := c.app
	if a.Headless == nil {
		return
	}
	if a.Kind == KindJob || a.Kind == KindCronJob {
		c.fail(fmt.Sprintf("a %s's pods serve nothing to look up; remove headless", a.Kind), "headless")
		return
	}
	name := a.HeadlessService()
	if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
		c.fail(fmt.Sprintf("%s is no Service name: %s", quote(name), strings.Join(errs, "; ")), "headless", "name")
	}
	if name == a.Name && a.Expose.Type != ExposeNone {
		c.fail(fmt.Sprintf("%s is the name of the app's Service; name the headless one otherwise, or set expose.type none", quote(name)), "headless", "name")
	}
}
