package schema

import (
	"regexp"
	"strings"
)

// defRules explain, in words, the string formats the schema defines as
// regular expressions.
var defRules = map[string]string{
	"DNSLabel":     "lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (an RFC 1123 label)",
	"PortName":     portNameRule,
	"EnvName":      envNameRule,
	"ConfigKey":    "a ConfigMap key has only letters, digits, '-', '_' and '.'",
	"AbsPath":      "an absolute path without '..'",
	"Image":        "an image reference has no whitespace",
	"LabelValue":   "at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
	"Quantity":     "a quantity is a number with an optional suffix, like 500m, 0.5, 64Mi or 1Gi",
	"Annotations":  annotationRule,
	"RelPath":      "a relative path without '..'",
	"DNSSubdomain": "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters (a DNS subdomain; no underscores)",
}

// boundRules maps each regular-expression bound of the schema, as CUE
// prints it in errors, to the rule of the definition it belongs to.
var boundRules = func() map[string]string {
	rules := map[string]string{}
	def := regexp.MustCompile(`^#(\w+):`)
	bound := regexp.MustCompile(`[=!]~"(?:[^"\\]|\\.)*"`)
	for _, line := range strings.Split(string(schemaSource), "\n") {
		m := def.FindStringSubmatch(line)
		if m == nil || defRules[m[1]] == "" {
			continue
		}
		for _, b := range bound.FindAllString(line, -1) {
			if _, ok := rules[b]; !ok { // the first definition with a regexp names it
				rules[b] = defRules[m[1]]
			}
		}
	}
	return rules
}()
