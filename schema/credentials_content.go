package schema

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// finding is a credential in a text: its line, from 1, and what it is.
type finding struct {
	line int
	what string
}

// maxFindings is how many findings a message lists one by one: a file
// pasted with its credentials lists each, and a generated one does not
// make a message of megabytes.
const maxFindings = 20

// describe says what findings are: "what" for a value of one line, or
// "line N: what; line M: what", and after maxFindings how many more
// there are.
func describe(fs []finding, lines bool) string {
	var b strings.Builder
	for i, f := range fs {
		if i == maxFindings {
			fmt.Fprintf(&b, "; and %d more lines, the last line %d", len(fs)-i, fs[len(fs)-1].line)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		if lines {
			fmt.Fprintf(&b, "line %d: ", f.line)
		}
		b.WriteString(f.what)
	}
	return b.String()
}

// A credentialPattern finds a credential by its form, whatever holds it.
// Each runs only on a text that holds one of its hints: most texts hold
// none, and a search costs less than a regular expression.
type credentialPattern struct {
	hints []string
	also  string // what a text must hold besides a hint
	re    *regexp.Regexp
	what  string
	// group, when not 0, is the submatch that must hold a credential.
	group int
}

var credentialPatterns = []credentialPattern{
	{hints: []string{"://"}, also: "@", re: regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:([^/\s@]+)@`), group: 1,
		what: "has a password in a URL (scheme://user:password@host)"},
	{hints: []string{"PRIVATE KEY"}, re: regexp.MustCompile(`-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----`),
		what: "holds a private key"},
	{hints: []string{"AKIA", "ASIA"}, re: regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`),
		what: "holds an AWS access key id"},
	{hints: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}, re: regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})`),
		what: "holds a GitHub token"},
	{hints: []string{"glpat-"}, re: regexp.MustCompile(`\bglpat-[\w-]{20,}`),
		what: "holds a GitLab token"},
	{hints: []string{"xox"}, re: regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`),
		what: "holds a Slack token"},
	{hints: []string{"hooks.slack.com"}, re: regexp.MustCompile(`hooks\.slack\.com/services/T\w+/B\w+/\w+`),
		what: "holds a Slack webhook URL"},
	{hints: []string{"k_live_", "k_test_"}, re: regexp.MustCompile(`\b[sr]k_(live|test)_[0-9A-Za-z]{16,}`),
		what: "holds a Stripe secret key"},
	{hints: []string{"AIza"}, re: regexp.MustCompile(`\bAIza[\w-]{35}`),
		what: "holds a Google API key"},
	{hints: []string{"eyJ"}, re: regexp.MustCompile(`\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*`),
		what: "holds a JSON Web Token"},
}

// triggers are what a text may hold: a bit per pattern, then these.
type triggers uint32

const (
	authTrigger  triggers = 1 << (iota + 24) // Bearer or Basic
	entryTrigger                             // a word of a credential's name
	alsoTrigger                              // what a pattern needs besides a hint
)

// A hint is a string whose presence sets bits of triggers.
type hint struct {
	s    string
	fold bool // in any case
	bit  triggers
}

// hintsByByte are the hints by their first byte, both cases of it for a
// hint in any case: triggersOf reads a text once, whatever the number of
// hints.
var hintsByByte = func() (table [256][]hint) {
	add := func(h hint) {
		table[h.s[0]] = append(table[h.s[0]], h)
		if h.fold {
			table[h.s[0]^0x20] = append(table[h.s[0]^0x20], h)
		}
	}
	for i, p := range credentialPatterns {
		for _, s := range p.hints {
			add(hint{s: s, bit: 1 << i})
		}
		if p.also != "" {
			add(hint{s: p.also, bit: alsoTrigger})
		}
	}
	for _, s := range []string{"bearer", "basic"} {
		add(hint{s: s, fold: true, bit: authTrigger})
	}
	// Every word that names a credential holds one of these.
	for _, s := range []string{"pass", "pwd", "secret", "token", "key", "auth", "cred"} {
		add(hint{s: s, fold: true, bit: entryTrigger})
	}
	// What no such word names: -u user:password, -p password, a Redis
	// user's >password.
	for _, s := range []string{" -u ", " -p ", " >"} {
		add(hint{s: s, bit: entryTrigger})
	}
	return table
}()

// may is whether line holds what p needs.
func (p *credentialPattern) may(line string) bool {
	if p.also != "" && !strings.Contains(line, p.also) {
		return false
	}
	for _, h := range p.hints {
		if strings.Contains(line, h) {
			return true
		}
	}
	return false
}

// triggersOf says what text may hold.
func triggersOf(text string) triggers {
	var t triggers
	for i := 0; i < len(text); i++ {
		for _, h := range hintsByByte[text[i]] {
			if t&h.bit != 0 || len(text)-i < len(h.s) {
				continue
			}
			if rest := text[i : i+len(h.s)]; rest == h.s || h.fold && strings.EqualFold(rest, h.s) {
				t |= h.bit
			}
		}
	}
	for i, p := range credentialPatterns {
		if p.also != "" && t&alsoTrigger == 0 {
			t &^= 1 << i
		}
	}
	return t
}

// unnamedCredential is whether s may hold a credential that no word of
// a credential names: -u user:password, -p password, a Redis user's
// >password.
func unnamedCredential(s string) bool {
	return strings.Contains(s, " -u ") || strings.Contains(s, " -p ") || strings.Contains(s, " >")
}

// credentialNeedle is whether s holds, in any case, a part of every word
// that names a credential: pass, pwd, secret, token, key, auth, cred.
func credentialNeedle(s string) bool {
	for i := 0; i < len(s); i++ {
		var needles []string
		switch s[i] | 0x20 {
		case 'p':
			needles = []string{"pass", "pwd"}
		case 's':
			needles = []string{"secret"}
		case 't':
			needles = []string{"token"}
		case 'k':
			needles = []string{"key"}
		case 'a':
			needles = []string{"auth"}
		case 'c':
			needles = []string{"cred"}
		default:
			continue
		}
		for _, n := range needles {
			if len(s)-i >= len(n) && strings.EqualFold(s[i:i+len(n)], n) {
				return true
			}
		}
	}
	return false
}

// credentialsIn finds the credentials in text, line by line: what the
// patterns find, an HTTP Authorization value with a token, and an entry
// whose key names a credential with a value that holds one, in every
// form config files write it (key = value, key: value, "key": "value",
// export KEY=value, key value, <key>value</key>, key="value" in a tag,
// name and value pairs). A commented-out line is a sample, and only the
// patterns apply to it. A line is reported once.
func credentialsIn(text string) []finding {
	t := triggersOf(text)
	if t == 0 {
		return nil
	}
	var fs []finding
	var s lineScanner
	for n, rest := 1, text; ; n++ {
		line, next, more := strings.Cut(rest, "\n")
		if what := s.scan(strings.TrimSuffix(line, "\r"), t); what != "" {
			fs = append(fs, finding{n, what})
		}
		if !more {
			return fs
		}
		rest = next
	}
}

// lineScanner reads the lines of one text in order: a YAML list of
// variables writes a name on one line and its value on the next.
type lineScanner struct {
	pendingName   string // a credential's name: "- name: DB_PASSWORD"
	pendingIndent int    // the column of its key
}

func (s *lineScanner) scan(line string, t triggers) string {
	for i := range credentialPatterns {
		p := &credentialPatterns[i]
		if t&(1<<i) == 0 || !p.may(line) {
			continue
		}
		if p.group == 0 {
			if p.re.MatchString(line) {
				return p.what
			}
			continue
		}
		for _, m := range p.re.FindAllStringSubmatch(line, -1) {
			if !hidden(m[p.group]) {
				return p.what
			}
		}
	}
	if t&authTrigger != 0 {
		if what := authorization(line); what != "" {
			return what
		}
	}
	body := strings.TrimLeft(line, " \t")
	indent := len(line) - len(body)
	if comment(body) || body == "" {
		return ""
	}
	if s.pendingName == "" && (t&entryTrigger == 0 || !credentialNeedle(body) && !unnamedCredential(body)) {
		return ""
	}
	return s.entries(body, indent)
}

// hidden is whether v shows no credential: references only, or a
// placeholder that is not a number.
func hidden(v string) bool {
	rest, refs, secretDefault := stripReferences(v)
	if refs > 0 {
		return !secretDefault && strings.IndexFunc(rest, isAlnum) < 0
	}
	return placeholder(v) && !smallNumberRE.MatchString(v)
}

// comment is whether a line, its indentation cut, is a comment.
func comment(body string) bool {
	if body == "" {
		return false
	}
	switch body[0] {
	case '#', ';':
		return true
	}
	// "//" without a space starts a URL or an .npmrc line:
	// //registry.npmjs.org/:_authToken=...
	for _, p := range []string{"// ", "/*", "<!--", "-- "} {
		if strings.HasPrefix(body, p) {
			return true
		}
	}
	return body == "//"
}

// authorizationStopWords follow Bearer in prose, not in a header.
var authorizationStopWords = setOf("token", "tokens", "auth", "authentication", "authorization", "realm", "scheme",
	"header", "type", "credential", "credentials", "of", "the", "a", "an", "and", "or", "to", "is", "in", "for",
	"with", "as", "on", "only", "must", "required")

// authorization finds an HTTP Authorization value with a credential:
// Bearer and a token that is not only a reference, Basic and
// base64-encoded user:password.
func authorization(line string) string {
	for i := 0; i+6 <= len(line); i++ {
		c := line[i] | 0x20
		if c != 'b' || i > 0 && isLetter(line[i-1]) {
			continue
		}
		scheme := ""
		switch {
		case strings.EqualFold(line[i:i+6], "bearer"):
			scheme = "Bearer"
		case strings.EqualFold(line[i:i+5], "basic"):
			scheme = "Basic"
		default:
			continue
		}
		j := i + len(scheme)
		k := j
		for k < len(line) && (line[k] == ' ' || line[k] == '\t') {
			k++
		}
		if k == j {
			continue
		}
		token := tokenAt(line, k)
		if token == "" {
			continue
		}
		if scheme == "Bearer" {
			rest, refs, secretDefault := stripReferences(token)
			if refs > 0 && !secretDefault && strings.IndexFunc(rest, isAlnum) < 0 ||
				authorizationStopWords[strings.ToLower(strings.TrimRight(token, ".:"))] {
				continue
			}
			return "holds an HTTP Authorization credential (Bearer and a token)"
		}
		if basicCredentials(token) {
			return "holds an HTTP Authorization credential (Basic and user:password)"
		}
	}
	return ""
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// tokenAt is the token that starts line[k:]: up to white space, a quote,
// a comma or a semicolon, with references whole ({{ .Values.token }}).
func tokenAt(line string, k int) string {
	return line[k:wordEnd(line, k, " \t\"'`,;")]
}

// wordEnd is where the word that starts s[i:] ends: at a byte of stops,
// with references whole.
func wordEnd(s string, i int, stops string) int {
	for i < len(s) {
		if n := referenceLen(s, i); n > 0 {
			i += n
			continue
		}
		if strings.IndexByte(stops, s[i]) >= 0 {
			break
		}
		i++
	}
	return i
}

// basicCredentials is whether token is what Basic sends: user:password
// in base64.
func basicCredentials(token string) bool {
	t := strings.TrimRight(token, ")]}>")
	if len(t) < 4 {
		return false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(t); err == nil {
			return strings.IndexByte(string(b), ':') > 0
		}
	}
	return false
}

// Directives of one line that set a header, parameter or variable by
// name and value: proxy_set_header Authorization "Bearer x".
var nameValueDirectives = setOf("proxy_set_header", "add_header", "grpc_set_header", "fastcgi_param", "uwsgi_param",
	"scgi_param", "more_set_headers", "more_set_input_headers", "SetEnv", "setenv", "RequestHeader", "Header",
	"stats") // HAProxy's stats auth user:password

// Lines of words in pairs, of which one may be a credential's name and
// the next its value: .netrc's machine h login u password p, HAProxy's
// user u insecure-password p.
var wordPairLines = setOf("machine", "default", "user")

// callPairRE finds a call with a quoted name and a quoted value:
// define('DB_PASSWORD', 'x') in PHP, os.environ.get('X', 'default'),
// setenv("X", "y").
var callPairRE = regexp.MustCompile(`\(\s*["']([\w.-]+)["']\s*,\s*("((\\.|[^"\\])*)"|'([^']*)')`)

// entries finds an entry of a credential in body, a line without its
// indentation, at column indent.
func (s *lineScanner) entries(body string, indent int) string {
	for _, p := range []string{"- ", "export ", "ENV "} {
		if rest, ok := strings.CutPrefix(body, p); ok {
			if p == "- " {
				indent += 2
			}
			body = strings.TrimLeft(rest, " \t")
		}
	}
	if what := s.pending(body, indent); what != "" {
		return what
	}
	fields := strings.Fields(body)
	if len(fields) >= 3 && nameValueDirectives[fields[0]] {
		name := strings.TrimSuffix(fields[1], ":")
		rest := strings.TrimSpace(body[len(fields[0]):])
		value := strings.TrimSuffix(strings.TrimSpace(rest[len(fields[1]):]), ";")
		if u, ok := unquote(value); ok {
			value = u
		}
		if holdsEntry(name, value) {
			return excerpt(name) + " looks like a credential"
		}
	}
	if len(fields) >= 2 && fields[0] == "user" {
		// A Redis ACL rule sets a password with >password.
		for _, f := range fields[2:] {
			if len(f) > 1 && f[0] == '>' && holdsLiteral(f[1:]) {
				return "sets a password of a Redis user (>password)"
			}
		}
	}
	if strings.Contains(body, " -") {
		for i := range fields {
			if flagCredential(fields, i) {
				return "the value of " + excerpt(fields[i-1]) + " looks like a credential"
			}
		}
	}
	if len(fields) >= 3 && wordPairLines[fields[0]] {
		for i, f := range fields[1 : len(fields)-1] {
			if holdsEntry(f, fields[i+2]) {
				return excerpt(f) + " looks like a credential"
			}
		}
	}
	if strings.IndexByte(body, '(') >= 0 {
		for _, m := range callPairRE.FindAllStringSubmatch(body, -1) {
			if holdsEntry(m[1], m[3]+m[5]) {
				return excerpt(m[1]) + " looks like a credential"
			}
		}
	}
	if strings.Contains(body, "</") {
		if what := xmlElements(body); what != "" {
			return what
		}
	}
	return s.keyValues(body, indent)
}

// pending pairs a value with the name of the line before it, as a YAML
// list of variables writes them: "- name: DB_PASSWORD" over
// "  value: hunter2".
func (s *lineScanner) pending(body string, indent int) string {
	if s.pendingName == "" {
		return ""
	}
	name := s.pendingName
	if indent != s.pendingIndent {
		if indent < s.pendingIndent {
			s.pendingName = ""
		}
		return ""
	}
	key, value, ok := strings.Cut(body, ":")
	if !ok {
		return ""
	}
	switch strings.Trim(strings.TrimSpace(key), `"'`) {
	case "value":
		s.pendingName = ""
		v := strings.TrimSpace(value)
		if u, ok := unquote(v); ok {
			v = u
		}
		if holdsEntry(name, v) {
			return excerpt(name) + " looks like a credential"
		}
	case "valueFrom":
		s.pendingName = ""
	}
	return ""
}

// keyValues finds an entry of a credential among the key, separator and
// value triples of body, at column indent: key = value, key: value,
// key=value, "key": "value", 'key' => 'value', key := value, key="value"
// in an XML tag, and pairs of name or key and value in one line
// ({"name": "X", "value": "Y"}, <add key="X" value="Y"/>). The first
// key of a line with a separator set apart by space (key = value,
// key: value) takes the rest of the line; others end at white space or
// punctuation. A line of only a credential's name and one word is an
// entry too: requirepass foobared.
func (s *lineScanner) keyValues(body string, indent int) string {
	var pairName, pairValue string
	havePair, lineKey := false, false
	for j := 0; j < len(body); j++ {
		c := body[j]
		if c != '=' && c != ':' {
			continue
		}
		sep := 1
		switch {
		case c == ':' && strings.HasPrefix(body[j+1:], "//"), c == ':' && strings.HasPrefix(body[j+1:], ":"):
			j++
			continue
		case c == ':' && strings.HasPrefix(body[j+1:], "="):
			sep = 2
		case c == '=' && strings.HasPrefix(body[j+1:], ">"):
			sep = 2
		case c == '=' && (strings.HasPrefix(body[j+1:], "=") || j > 0 && strings.IndexByte("!<>=", body[j-1]) >= 0):
			j++
			continue
		}
		key, keyStart := keyBefore(body, j)
		if key == "" {
			continue
		}
		if c == ':' && sep == 1 && keyStart > 0 && j+1 < len(body) && body[j+1] != ' ' && body[j+1] != '\t' &&
			body[j-1] != '"' && body[j-1] != '\'' {
			// key:value inside a line is an ARN, a time or user:password,
			// not an entry; "key":"value" is JSON's.
			continue
		}
		atStart := keyStart == 0
		lineKey = lineKey || atStart
		v := j + sep
		spaced := c == ':' || j > 0 && (body[j-1] == ' ' || body[j-1] == '\t') || v < len(body) && (body[v] == ' ' || body[v] == '\t')
		for v < len(body) && (body[v] == ' ' || body[v] == '\t') {
			v++
		}
		lower := strings.ToLower(key)
		class := plainName
		if credentialNeedle(key) {
			class = nameClassOf(cleanKey(key))
		}
		if class == plainName && lower != "name" && lower != "key" && lower != "value" {
			j += sep - 1
			continue
		}
		value, end := valueAt(body, v, atStart && spaced)
		switch {
		case class != plainName && holdsCredential(class, value):
			return excerpt(cleanKey(key)) + " looks like a credential"
		case lower == "name" || lower == "key":
			pairName = value
			if atStart {
				s.pendingName, s.pendingIndent = value, indent
			}
		case lower == "value":
			pairValue, havePair = value, true
		}
		j = end - 1
	}
	if pairName != "" && havePair {
		s.pendingName = ""
		if holdsEntry(pairName, pairValue) {
			return excerpt(pairName) + " looks like a credential"
		}
	}
	if s.pendingName != "" && nameClassOf(s.pendingName) == plainName {
		s.pendingName = ""
	}
	if !lineKey {
		return spaceSeparated(body)
	}
	return ""
}

// spaceSeparated finds a directive of a credential and one value, as
// redis.conf and nginx write them: requirepass foobared.
func spaceSeparated(body string) string {
	key, rest, ok := strings.Cut(body, " ")
	if !ok || !credentialNeedle(key) || strings.Trim(key, keyChars) != "" {
		return ""
	}
	rest = strings.TrimSuffix(strings.TrimSpace(rest), ";")
	if u, ok := unquote(rest); ok {
		rest = u
	} else if strings.ContainsAny(rest, " \t") {
		return "" // prose
	}
	if holdsEntry(key, rest) {
		return excerpt(key) + " looks like a credential"
	}
	return ""
}

const keyChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

// keyBefore is the key that ends before the separator at body[j], as
// written or quoted, and where it starts.
func keyBefore(body string, j int) (string, int) {
	e := j
	for e > 0 && (body[e-1] == ' ' || body[e-1] == '\t') {
		e--
	}
	if e == 0 {
		return "", 0
	}
	if q := body[e-1]; q == '"' || q == '\'' {
		open := strings.LastIndexByte(body[:e-1], q)
		if open < 0 {
			return "", 0
		}
		return body[open+1 : e-1], open
	}
	b := e
	for b > 0 && strings.IndexByte(keyChars, body[b-1]) >= 0 {
		b--
	}
	return body[b:e], b
}

// cleanKey is a key without the dashes of a flag or the -D of a Java
// system property: --db-password, -Djavax.net.ssl.keyStorePassword.
func cleanKey(key string) string {
	if strings.HasPrefix(key, "-D") && len(key) > 2 {
		return key[2:]
	}
	return strings.TrimLeft(key, "-")
}

// valueAt is the value that starts body[v:], unquoted, and where it
// ends. Unquoted, it is the rest of the line when rest is set, without a
// trailing comment, comma or semicolon; else it ends at white space or
// punctuation, with references whole, and an Authorization scheme takes
// the word after it.
func valueAt(body string, v int, rest bool) (string, int) {
	if v >= len(body) {
		return "", v
	}
	if q := body[v]; q == '"' || q == '\'' || q == '`' {
		for i := v + 1; i < len(body); i++ {
			switch body[i] {
			case '\\':
				if q == '"' {
					i++
				}
			case q:
				u, _ := unquote(body[v : i+1])
				return u, i + 1
			}
		}
		return body[v+1:], len(body)
	}
	if rest {
		r := body[v:]
		if i := strings.Index(r, " #"); i >= 0 {
			r = r[:i]
		}
		if i := strings.Index(r, "\t#"); i >= 0 {
			r = r[:i]
		}
		r = strings.TrimSpace(r)
		r = strings.TrimSuffix(strings.TrimSuffix(r, ","), ";")
		return strings.TrimSpace(r), len(body)
	}
	end := wordEnd(body, v, " \t;,&)}]<>\"'")
	if end < len(body) && body[end] == ' ' && authScheme(body[v:end]) {
		word := tokenAt(body, end+1)
		return body[v : end+1+len(word)], end + 1 + len(word)
	}
	return body[v:end], end
}

// xmlElements finds <key>value</key> and <entry key="key">value</entry>
// in body.
func xmlElements(body string) string {
	for i := 0; i < len(body); i++ {
		if body[i] != '<' || i+1 >= len(body) || strings.IndexByte("/!?", body[i+1]) >= 0 {
			continue
		}
		open := strings.IndexByte(body[i:], '>')
		if open < 0 {
			return ""
		}
		tag := body[i+1 : i+open]
		if strings.HasSuffix(tag, "/") {
			continue
		}
		name, attrs, _ := strings.Cut(tag, " ")
		text := body[i+open+1:]
		end := strings.IndexByte(text, '<')
		if end < 0 || !strings.HasPrefix(text[end:], "</"+name+">") {
			continue
		}
		text = text[:end]
		key := name
		if _, local, ok := strings.Cut(name, ":"); ok {
			key = local
		}
		for _, a := range []string{"key=", "name="} {
			if k := strings.Index(attrs, a); k >= 0 {
				if v, _ := valueAt(attrs, k+len(a), false); v != "" {
					key = v
				}
			}
		}
		if holdsEntry(key, strings.TrimSpace(text)) {
			return excerpt(key) + " looks like a credential"
		}
	}
	return ""
}

// holdsEntry is whether the entry of a config file or variable of name
// holds a credential.
func holdsEntry(name, value string) bool {
	return credentialNeedle(name) && holdsCredential(nameClassOf(cleanKey(name)), value)
}

// flagCredential is whether args[i] is the credential a flag before it
// takes: --password hunter2, --api-key x, -u user:password (curl), and
// -p password after login (docker login, helm registry login).
func flagCredential(args []string, i int) bool {
	if i == 0 {
		return false
	}
	flag, v := args[i-1], args[i]
	switch {
	case flag == "-u" || flag == "--user":
		_, pw, ok := strings.Cut(v, ":")
		return ok && strings.Trim(pw, "0123456789") != "" && holdsCredential(credentialValue, pw) // not uid:gid
	case flag == "-p":
		return slices.Contains(args[:i], "login") && holdsCredential(credentialValue, v)
	}
	return len(flag) > 1 && flag[0] == '-' && strings.Trim(flag, keyChars) == "" && credentialNeedle(flag) &&
		holdsCredential(nameClassOf(cleanKey(flag)), v)
}
