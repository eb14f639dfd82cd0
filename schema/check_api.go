package schema

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The rules of this file are the API server's (pkg/apis/*/validation in
// k8s.io/kubernetes) for values that the schema's types let through: a
// stack that passes them renders objects the server accepts. VALIDATION.md
// lists every rule and where kdecl checks it.

const (
	// maxAnnotationBytes is the API's limit on the keys and values of an
	// object's annotations, together.
	maxAnnotationBytes = 256 << 10
	// maxConfigMapBytes is the API's limit on the values of a ConfigMap.
	maxConfigMapBytes = 1 << 20
	// maxEnvStringBytes is Linux's MAX_ARG_STRLEN (32 pages of 4 KiB):
	// execve refuses with E2BIG an environment string NAME=VALUE longer,
	// its NUL included, so no container starts with such a variable. The
	// API server stores far larger ones; what bounds <APP>_PODS is this.
	maxEnvStringBytes = 32 * 4096
)

// containerResources checks the requests and limits of one container as
// the API server does (resourceRules).
func (c *appChecker) containerResources(r Resources, field ...string) {
	resourceRules(r, field, c.failAt)
}

// resourceRules checks the requests and limits of one container as the
// API server does (validateResourceRequirements): resource names, no
// negative quantities, whole numbers of extended resources
// (nvidia.com/gpu), huge pages in whole pages and beside cpu or memory, a
// request at most its limit, and for resources that cannot be
// overcommitted (extended ones, huge pages) a limit equal to the request.
func resourceRules(r Resources, field []string, fail failFunc) {
	requests := quantities(r.Requests, at(field, "requests"), fail)
	limits := quantities(r.Limits, at(field, "limits"), fail)
	for _, name := range slices.Sorted(maps.Keys(requests)) {
		req := requests[name]
		lim, ok := limits[name]
		switch {
		case !ok && !overcommitAllowed(name):
			fail(at(field, "requests", name), fmt.Sprintf("%s cannot be overcommitted: set limits.%s to the same quantity", name, quoteKey(name)))
		case ok && !overcommitAllowed(name) && req.Cmp(lim) != 0:
			fail(at(field, "requests", name), fmt.Sprintf("request %s must equal its limit %s: %s cannot be overcommitted", r.Requests[name], r.Limits[name], name))
		case ok && req.Cmp(lim) > 0:
			fail(at(field, "requests", name), fmt.Sprintf("request %s is above its limit %s", r.Requests[name], r.Limits[name]))
		}
	}
	var huge []string // where the first huge pages resource is
	cpuOrMemory := false
	for _, list := range []string{"requests", "limits"} {
		m := map[string]map[string]string{"requests": r.Requests, "limits": r.Limits}[list]
		for _, name := range slices.Sorted(maps.Keys(m)) {
			switch {
			case strings.HasPrefix(name, corev1.ResourceHugePagesPrefix) && huge == nil:
				huge = at(field, list, name)
			case name == "cpu" || name == "memory":
				cpuOrMemory = true
			}
		}
	}
	if huge != nil && !cpuOrMemory {
		fail(huge, "huge pages need a request or limit of cpu or memory beside them")
	}
}

// quantities parses the quantities of a resource list and checks each
// resource name and value.
func quantities(m map[string]string, field []string, fail failFunc) map[string]resource.Quantity {
	qs := make(map[string]resource.Quantity, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		f := at(field, name)
		if msg := resourceNameProblem(name); msg != "" {
			fail(f, msg)
			continue
		}
		q, ok := quantity(m[name], f, fail)
		if !ok {
			continue
		}
		if extendedResource(name) && q.MilliValue()%1000 != 0 {
			fail(f, fmt.Sprintf("%s must be a whole number of %s", excerpt(m[name]), name))
			continue
		}
		if page, ok := hugePageSize(name); ok && q.Value()%page.Value() != 0 {
			fail(f, fmt.Sprintf("%s is not a whole number of %s pages", excerpt(m[name]), page.String()))
			continue
		}
		qs[name] = q
	}
	return qs
}

// quantity parses a quantity the schema has checked the form of, and
// wants it not negative.
func (c *appChecker) quantity(s string, field ...string) (resource.Quantity, bool) {
	return quantity(s, field, c.failAt)
}

func quantity(s string, field []string, fail failFunc) (resource.Quantity, bool) {
	q, err := resource.ParseQuantity(s)
	switch {
	case err != nil:
		fail(field, fmt.Sprintf("%s is not a quantity: %v", quote(s), err))
	case q.Sign() < 0:
		fail(field, fmt.Sprintf("%s is negative", excerpt(s)))
	default:
		return q, true
	}
	return q, false
}

// hugePageSize is the page size a huge pages resource, hugepages-2Mi,
// names: a whole number of bytes, as helper.IsHugePageResourceValueDivisible
// wants it.
func hugePageSize(name string) (resource.Quantity, bool) {
	size, ok := strings.CutPrefix(name, corev1.ResourceHugePagesPrefix)
	if !ok {
		return resource.Quantity{}, false
	}
	q, err := resource.ParseQuantity(size)
	if err != nil || q.Sign() <= 0 || q.MilliValue()%1000 != 0 {
		return resource.Quantity{}, false // resourceNameProblem reports it
	}
	return q, true
}

// resourceNameProblem says what is wrong with a container resource name,
// or "". The schema admits cpu, memory, ephemeral-storage and prefixed
// names; here the prefixed ones meet the API's rules.
func resourceNameProblem(name string) string {
	if msgs := validation.IsQualifiedName(name); len(msgs) > 0 {
		return "not a valid resource name: " + msgs[0]
	}
	if _, ok := hugePageSize(name); strings.HasPrefix(name, corev1.ResourceHugePagesPrefix) && !ok {
		return "not a valid resource name: huge pages are hugepages-<page size>, a whole number of bytes such as hugepages-2Mi"
	}
	if strings.Contains(name, "/") && !nativeResource(name) && !extendedResource(name) {
		return "not a valid resource name: an extended resource is DOMAIN/NAME, not starting with requests."
	}
	return ""
}

// nativeResource, extendedResource and overcommitAllowed follow
// pkg/apis/core/helper of k8s.io/kubernetes.
func nativeResource(name string) bool {
	return !strings.Contains(name, "/") || strings.Contains(name, corev1.ResourceDefaultNamespacePrefix)
}

func extendedResource(name string) bool {
	if nativeResource(name) || strings.HasPrefix(name, corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+name)) == 0
}

func overcommitAllowed(name string) bool {
	return nativeResource(name) && !strings.HasPrefix(name, corev1.ResourceHugePagesPrefix)
}

// quoteKey writes a map key as CUE needs it in a path.
func quoteKey(k string) string { return fieldString([]string{k}) }

// divisors are the divisors the API allows for each resource of
// resourceEnv, in canonical form.
var divisors = map[string][]string{
	"cpu":               {"1m", "1"},
	"memory":            {"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"},
	"ephemeral-storage": {"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"},
}

// downward checks fieldEnv and resourceEnv beyond their form: the key of
// a label or annotation, and the divisor of a resource.
func (c *appChecker) downward() {
	for _, name := range slices.Sorted(maps.Keys(c.app.FieldEnv)) {
		path := c.app.FieldEnv[name]
		kind, key, ok := subscript(path)
		if !ok {
			continue
		}
		if kind == "annotations" {
			key = strings.ToLower(key) // as the API server compares them
		}
		if msgs := validation.IsQualifiedName(key); len(msgs) > 0 {
			c.fail(fmt.Sprintf("%s is not a valid %s key: %s", quote(key), strings.TrimSuffix(kind, "s"), msgs[0]), "fieldEnv", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.app.ResourceEnv)) {
		r := c.app.ResourceEnv[name]
		q, ok := c.quantity(r.Divisor, "resourceEnv", name, "divisor")
		if !ok || q.IsZero() {
			continue
		}
		_, res, _ := strings.Cut(r.Resource, ".")
		if !slices.Contains(divisors[res], q.String()) {
			c.fail(fmt.Sprintf("%s is not a divisor the API allows for %s; use one of %s", excerpt(r.Divisor), res, strings.Join(divisors[res], ", ")), "resourceEnv", name, "divisor")
		}
	}
}

var subscriptRE = regexp.MustCompile(`^metadata\.(labels|annotations)\['(.*)'\]$`)

// subscript splits metadata.labels['KEY'] into labels and KEY.
func subscript(path string) (kind, key string, ok bool) {
	m := subscriptRE.FindStringSubmatch(path)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// imageSpace rejects white space anywhere in an image reference: the
// schema's pattern knows only ASCII white space, and the API server
// refuses pods whose image starts or ends with any.
func (c *appChecker) imageSpace(image string, field ...string) {
	if i := strings.IndexFunc(image, unicode.IsSpace); i >= 0 {
		c.fail(fmt.Sprintf("image %s contains white space (%U)", quote(image), []rune(image[i:])[0]), field...)
	}
}

// graceSeconds is the pod's termination grace period, the API's default
// when the stack sets none.
func (c *appChecker) graceSeconds() int64 {
	if g := c.app.TerminationGracePeriodSeconds; g != nil {
		return *g
	}
	return corev1.DefaultTerminationGracePeriodSeconds
}

// specialPodAnnotations are annotation keys the API server reads on pods
// instead of storing them: kdecl refuses them where it cannot check them.
var specialPodAnnotations = map[string]string{
	corev1.TolerationsAnnotationKey: "tolerations are a field of the pod, not an annotation",
	corev1.MirrorPodAnnotationKey:   "only the kubelet creates mirror pods",
}

// annotations checks the annotations of the app's objects beyond their
// form: the length of each key's parts, the keys the API server reads,
// and the total size of each object's annotations.
func (c *appChecker) annotations() {
	a := c.app
	for _, set := range []struct {
		field string
		m     map[string]string
	}{{"annotations", a.Annotations}, {"podAnnotations", a.PodAnnotations}, {"expose.annotations", a.Expose.Annotations}, {"expose.ingress.annotations", a.Expose.IngressAnnotations()}} {
		field := strings.Split(set.field, ".")
		c.annotationKeys(set.m, field)
	}
	for _, v := range slices.Sorted(maps.Keys(a.Storage)) {
		c.annotationKeys(a.Storage[v].Annotations, []string{"storage", v, "annotations"})
		claim := maps.Clone(a.Annotations)
		if claim == nil {
			claim = map[string]string{}
		}
		maps.Copy(claim, a.Storage[v].Annotations)
		if n := annotationBytes(claim); n > maxAnnotationBytes {
			c.fail(fmt.Sprintf("the annotations of the claim of volume %s come to %d bytes; the API allows %d", v, n, maxAnnotationBytes), "storage", v, "annotations")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.PodAnnotations)) {
		if msg := podAnnotationProblem(k, a.PodAnnotations[k]); msg != "" {
			c.fail(msg, "podAnnotations", k)
		}
	}
	service := maps.Clone(a.Annotations)
	if service == nil {
		service = map[string]string{}
	}
	maps.Copy(service, a.Expose.Annotations)
	ingress := maps.Clone(a.Annotations)
	if ingress == nil {
		ingress = map[string]string{}
	}
	maps.Copy(ingress, a.Expose.IngressAnnotations())
	serviceAnnotations(service, a.Expose.Type, "expose.type", c.annotationField, c.failAt)

	var config int
	if c := a.Config; c != nil && len(c.Env)+len(c.Files) > 0 {
		config = len(ConfigHashAnnotation) + ConfigHashLen
	}
	for _, o := range []struct {
		what  string
		m     map[string]string
		extra int
	}{
		{"every object of the app", a.Annotations, 0},
		{"the Service", service, 0},
		{"the Ingress", ingress, 0},
		{"the pod template", a.PodAnnotations, config},
	} {
		if n := annotationBytes(o.m) + o.extra; n > maxAnnotationBytes {
			c.fail(fmt.Sprintf("the annotations of %s come to %d bytes; the API allows %d", o.what, n, maxAnnotationBytes), biggest(o.m, a)...)
		}
	}
}

// annotationKeys checks the keys of the annotations m, at field.
func (c *appChecker) annotationKeys(m map[string]string, field []string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if msgs := validation.IsQualifiedName(strings.ToLower(k)); len(msgs) > 0 {
			c.fail("not a valid annotation key: "+msgs[0], append(slices.Clone(field), k)...)
		}
	}
}

// serviceAnnotations checks the annotations of a Service of type typ
// that the API server reads; field is where each key is set, and
// typeField names the field of the type, for a message.
func serviceAnnotations(m map[string]string, typ, typeField string, field func(k string) []string, fail failFunc) {
	if v, ok := m[corev1.AnnotationLoadBalancerSourceRangesKey]; ok {
		f := field(corev1.AnnotationLoadBalancerSourceRangesKey)
		if typ != "LoadBalancer" {
			fail(f, "is only for a Service of "+typeField+" LoadBalancer")
		} else {
			for _, cidr := range strings.Split(v, ",") {
				if _, err := netip.ParsePrefix(strings.TrimSpace(cidr)); err != nil {
					fail(f, fmt.Sprintf("%s is not a CIDR such as 10.0.0.0/8", quote(strings.TrimSpace(cidr))))
				}
			}
		}
	}
	if m, h := m[corev1.AnnotationTopologyMode], m[corev1.DeprecatedAnnotationTopologyAwareHints]; m != "" && h != "" && m != h {
		fail(field(corev1.AnnotationTopologyMode), fmt.Sprintf("%s and %s (%s) must agree", quote(m), corev1.DeprecatedAnnotationTopologyAwareHints, quote(h)))
	}
}

// podAnnotationProblem says what the API server refuses in an
// annotation of a pod template, or "".
func podAnnotationProblem(k, v string) string {
	switch {
	case specialPodAnnotations[k] != "":
		return "the API server does not take this annotation from a pod template: " + specialPodAnnotations[k]
	case k == corev1.PodDeletionCost:
		if n, err := strconv.ParseInt(v, 10, 32); err != nil || strconv.FormatInt(n, 10) != v {
			return fmt.Sprintf("%s is not a 32-bit integer without leading zeros or +", quote(v))
		}
	case k == corev1.SeccompPodAnnotationKey || strings.HasPrefix(k, corev1.SeccompContainerAnnotationKeyPrefix):
		return "seccomp annotations no longer do anything; set securityContext.seccompProfile"
	case strings.HasPrefix(k, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix):
		return "AppArmor annotations are deprecated; set securityContext.appArmorProfile"
	}
	return ""
}

// annotationField is where a Service annotation key is set: in
// expose.annotations, else in annotations.
func (c *appChecker) annotationField(k string) []string {
	if _, ok := c.app.Expose.Annotations[k]; ok {
		return []string{"expose", "annotations", k}
	}
	return []string{"annotations", k}
}

func annotationBytes(m map[string]string) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}

// biggest is the field of the largest annotation of m, for an error's
// position.
func biggest(m map[string]string, a *App) []string {
	var key string
	for k, v := range m {
		if len(k)+len(v) > len(key)+len(m[key]) || len(k)+len(v) == len(key)+len(m[key]) && k < key {
			key = k
		}
	}
	for _, f := range []struct {
		field []string
		m     map[string]string
	}{{[]string{"podAnnotations"}, a.PodAnnotations}, {[]string{"expose", "annotations"}, a.Expose.Annotations},
		{[]string{"expose", "ingress", "annotations"}, a.Expose.IngressAnnotations()}, {[]string{"annotations"}, a.Annotations}} {
		if v, ok := f.m[key]; ok && v == m[key] {
			return append(f.field, key)
		}
	}
	return []string{"annotations"}
}

var timeZonePartRE = regexp.MustCompile(`^[A-Za-z.\-_0-9+]{1,14}$`)

// timeZoneForm checks the form the CronJob API wants of a time zone name
// before it loads it.
func timeZoneForm(tz string) bool {
	if strings.EqualFold(tz, "Local") {
		return false
	}
	for _, part := range strings.Split(tz, "/") {
		if part == "." || part == ".." || strings.HasPrefix(part, "-") || !timeZonePartRE.MatchString(part) {
			return false
		}
	}
	return true
}

// kdeclLabels are the labels kdecl sets; a stack may not set them.
var kdeclLabels = map[string]string{
	"app.kubernetes.io/name":       "it is the app's name",
	"app.kubernetes.io/instance":   "it is the stack's name",
	"app.kubernetes.io/part-of":    "it is the stack's name",
	"app.kubernetes.io/managed-by": "it is kdecl",
	"app.kubernetes.io/version":    "it is the image's tag",
	"app.kubernetes.io/component":  "set component",
	HeadlessLabel:                  "it names the headless Service the app's pods share with other apps'",
}

// KdeclLabel says whether kdecl sets the label key on the objects it
// renders.
func KdeclLabel(key string) bool {
	_, ok := kdeclLabels[key]
	return ok
}

// ControllerLabel says whether Kubernetes' controllers put the label key
// on the pods they make.
func ControllerLabel(key string) bool { return slices.Contains(controllerLabels, key) }

// controllerLabels are the labels Kubernetes' controllers give the pods
// they make: a template that sets one no longer matches what they select.
var controllerLabels = []string{
	"controller-uid", "job-name", "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name",
	"batch.kubernetes.io/job-completion-index", "pod-template-hash", "controller-revision-hash",
	"pod-template-generation", "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index",
}

// labelProblem says what is wrong with a label key of the stack's, or "".
func labelProblem(k string) string {
	if why, ok := kdeclLabels[k]; ok {
		return "kdecl sets this label itself (" + why + ")"
	}
	if slices.Contains(controllerLabels, k) {
		return "Kubernetes' controllers set this label on the pods they make"
	}
	if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
		return "not a valid label key: " + msgs[0]
	}
	return ""
}

func (c *appChecker) labels() {
	for _, k := range slices.Sorted(maps.Keys(c.app.Labels)) {
		if msg := labelProblem(k); msg != "" {
			c.fail(msg, "labels", k)
		}
	}
}
