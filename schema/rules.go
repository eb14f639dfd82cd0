package schema

import (
	"regexp"
	"strings"
)

// defRules explain, in words, the string formats the schema defines as
// regular expressions.
var defRules = map[string]string{
	"DNSLabel":      "lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (an RFC 1123 label)",
	"ConfigName":    "lowercase letters, digits and '-', starting and ending with a letter or digit, at most 50 characters (a config's name)",
	"PortName":      "at most 15 lowercase letters, digits and '-', with at least one letter (a port name)",
	"EnvName":       "printable ASCII but '=', and not empty (an environment variable's name)",
	"ConfigEnvName": "only letters, digits, '-', '_' and '.', not starting with '..', at most 253 characters (a config's variable, a ConfigMap key too)",
	"ConfigKey":     "only letters, digits, '-', '_' and '.', not starting with '..', at most 253 characters (a ConfigMap key)",
	"AbsPath":       "an absolute path without '..'",
	"RelPath":       "a relative path without '..', not starting with '..'",
	"HeaderName":    "letters, digits and '-' (an HTTP header name)",
	"Int32":         "an integer from -2147483648 to 2147483647 (a 32-bit field of the Kubernetes API)",
	"Int64":         "an integer from -9223372036854775808 to 9223372036854775807 (a 64-bit field of the Kubernetes API)",
	"NodePort":      "a node port from 30000 to 32767, the API server's default range (--service-node-port-range)",
	"Image":         "an image reference without whitespace",
	"LabelValue":    "at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit (a label value)",
	"Quantity":      "a number with an optional suffix, like 500m, 0.5, 64Mi or 1Gi (a quantity)",
	"Annotations":   "[prefix/]name, the prefix a DNS subdomain (an annotation key)",
	"DNSSubdomain":  "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters (a DNS subdomain; no underscores)",
	"FieldPath":     "a pod field: metadata.name, metadata.namespace, metadata.uid, spec.nodeName, spec.serviceAccountName, status.hostIP, status.hostIPs, status.podIP, status.podIPs, metadata.labels['KEY'] or metadata.annotations['KEY']",
}

// boundRules maps each regular-expression bound of the schema, as CUE
// prints it in errors, to the rule of the definition it belongs to. A
// definition runs from its line to the next line that starts unindented.
var boundRules = func() map[string]string {
	rules := map[string]string{}
	def := regexp.MustCompile(`^#(\w+):`)
	bound := regexp.MustCompile(`[=!]~"(?:[^"\\]|\\.)*"|[<>]=?-?[0-9]+`)
	current := ""
	for _, line := range strings.Split(string(schemaSource), "\n") {
		if m := def.FindStringSubmatch(line); m != nil {
			current = m[1]
		} else if line != "" && !strings.HasPrefix(line, "\t") {
			current = ""
		}
		if defRules[current] == "" {
			continue
		}
		for _, b := range bound.FindAllString(line, -1) {
			if _, ok := rules[b]; !ok { // the first definition with a regexp names it
				rules[b] = defRules[current]
			}
		}
	}
	return rules
}()
