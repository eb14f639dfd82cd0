package yamlenc

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// bestWidth is where go-yaml breaks a long plain or quoted scalar, at a
// space.
const bestWidth = 80

// Write appends the YAML of n, a JSON object, to buf, and reports
// whether it could: when n holds a value it does not write as go-yaml
// does, it reports false, and what it appended is to be dropped.
func Write(buf []byte, n *Node) ([]byte, bool) {
	w := &writer{buf: buf, start: len(buf)}
	if n.Kind != Object {
		return buf, false
	}
	if len(n.Keys) == 0 {
		return append(buf, "{}\n"...), true
	}
	if !w.mapping(n, 0, false) {
		return buf, false
	}
	return append(w.buf, '\n'), true
}

type writer struct {
	buf    []byte
	start  int // where the document starts in buf
	column int // characters since the last line break
}

func (w *writer) put(s string) {
	w.buf = append(w.buf, s...)
	w.column += utf8.RuneCountInString(s)
}

func (w *writer) newline(indent int) {
	w.buf = append(w.buf, '\n')
	for range indent {
		w.buf = append(w.buf, ' ')
	}
	w.column = indent
}

// mapping writes the keys of n at indent; inline is whether the first
// key goes where the writer is (after "- ").
func (w *writer) mapping(n *Node, indent int, inline bool) bool {
	order := make([]int, len(n.Keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case keyLess(n.Keys[a], n.Keys[b]):
			return -1
		case keyLess(n.Keys[b], n.Keys[a]):
			return 1
		}
		return 0
	})
	for k, i := range order {
		if k > 0 || !inline {
			if len(w.buf) > w.start {
				w.newline(indent)
			}
		}
		if !w.key(n.Keys[i]) {
			return false
		}
		w.put(":")
		v := n.Vals[i]
		switch {
		case v.Kind == Object && len(v.Keys) > 0:
			if !w.mapping(v, indent+2, false) {
				return false
			}
		case v.Kind == Array && len(v.Vals) > 0:
			if !w.sequence(v, indent) {
				return false
			}
		default:
			if !w.scalar(v, indent+2) {
				return false
			}
		}
	}
	return true
}

// sequence writes the elements of n at indent, each after "- ".
func (w *writer) sequence(n *Node, indent int) bool {
	for _, v := range n.Vals {
		w.newline(indent)
		w.put("-")
		if !w.element(v, indent) {
			return false
		}
	}
	return true
}

// innerSequence writes a sequence that is an element of a sequence: its
// first element on the line of the outer "- " ("- - x").
func (w *writer) innerSequence(n *Node, indent int) bool {
	for k, v := range n.Vals {
		if k > 0 {
			w.newline(indent)
		} else {
			w.put(" ")
		}
		w.put("-")
		if !w.element(v, indent) {
			return false
		}
	}
	return true
}

// element writes an element of a sequence at indent, after its "-".
func (w *writer) element(v *Node, indent int) bool {
	switch {
	case v.Kind == Object && len(v.Keys) > 0:
		w.put(" ")
		return w.mapping(v, indent+2, true)
	case v.Kind == Array && len(v.Vals) > 0:
		return w.innerSequence(v, indent+2)
	}
	return w.scalar(v, indent+2)
}

// scalar writes a scalar value after ":" or "-": indent is where its
// continuation lines go.
func (w *writer) scalar(v *Node, indent int) bool {
	switch v.Kind {
	case Null:
		w.put(" null")
	case Bool:
		w.put(" " + v.Text)
	case Number:
		if _, err := strconv.ParseInt(v.Text, 10, 64); err != nil {
			return false // a float or a huge number: go-yaml's formatting
		}
		w.put(" " + v.Text)
	case Object:
		w.put(" {}")
	case Array:
		w.put(" []")
	case String:
		return w.str(v.Text, indent)
	}
	return true
}

// keyStyles caches the style of keys, which repeat from object to
// object.
var keyStyles sync.Map // string → style

// key writes a mapping key: a simple key, on one line.
func (w *writer) key(s string) bool {
	if len(s) > 128 {
		return false // go-yaml writes a complex key, "? key"
	}
	st, ok := keyStyles.Load(s)
	if !ok {
		st = styleOf(s, true)
		if len(s) <= 64 {
			keyStyles.Store(s, st)
		}
	}
	switch st.(style) {
	case plain:
		w.put(s)
	case single:
		w.put("'" + strings.ReplaceAll(s, "'", "''") + "'")
	case double:
		if !simpleDouble(s, true) {
			return false
		}
		w.put(`"` + s + `"`)
	default:
		return false
	}
	return true
}

// str writes a string value after ":" or "-", its continuation lines at
// indent.
func (w *writer) str(s string, indent int) bool {
	switch styleOf(s, false) {
	case plain:
		w.put(" ")
		w.wrapped(s, indent, false)
	case single:
		w.put(" '")
		w.wrapped(s, indent, true)
		w.put("'")
	case double:
		if !simpleDouble(s, false) {
			return false
		}
		w.put(` "` + s + `"`)
	case literal:
		return w.literal(s, indent)
	default:
		return false
	}
	return true
}

// wrapped writes a plain or single-quoted scalar, breaking it at a space
// past bestWidth as go-yaml does.
func (w *writer) wrapped(s string, indent int, quoted bool) {
	spaces := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == ' ' {
			next := i+1 < len(s) && s[i+1] == ' '
			inner := !quoted || i > 0 && i < len(s)-1
			if !spaces && w.column > bestWidth && !next && inner {
				w.newline(indent)
			} else {
				w.put(" ")
			}
			spaces = true
			i += size
			continue
		}
		if quoted && r == '\'' {
			w.put("'")
		}
		w.buf = append(w.buf, s[i:i+size]...)
		w.column++
		spaces = false
		i += size
	}
}

// literal writes a multi-line string as a literal block, its lines at
// indent.
func (w *writer) literal(s string, indent int) bool {
	w.put(" |")
	if s[0] == ' ' || s[0] == '\n' {
		w.put("2")
	}
	switch {
	case !strings.HasSuffix(s, "\n"):
		w.put("-")
	case s == "\n" || strings.HasSuffix(s, "\n\n"):
		return false // "+": go-yaml may end the document with "..."
	}
	w.buf = append(w.buf, '\n')
	w.column = 0
	breaks := true
	for i := 0; i < len(s); {
		if s[i] == '\n' {
			w.buf = append(w.buf, '\n')
			w.column = 0
			breaks = true
			i++
			continue
		}
		if breaks {
			for range indent {
				w.buf = append(w.buf, ' ')
			}
			w.column = indent
			breaks = false
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		w.buf = append(w.buf, s[i:i+size]...)
		w.column++
		i += size
	}
	// The writer's newline ends the block's last line.
	if strings.HasSuffix(s, "\n") {
		w.buf = w.buf[:len(w.buf)-1]
		w.column = 1 // not at the start of a line
	}
	return true
}

type style int

const (
	plain style = iota
	single
	double
	literal
	unsupported
)

// styleOf is the style go-yaml writes s in, as a key or a value: its
// stringv, then its emitter's choice among what analyze allows.
func styleOf(s string, key bool) style {
	if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\u0085\u2028\u2029") {
		return unsupported
	}
	requested := double
	if resolvesToString(s) && !isBase60Float(s) {
		requested = plain
	}
	if strings.Contains(s, "\n") {
		requested = literal
	}
	a := analyze(s)
	if key && a.multiline {
		requested = double
	}
	if requested == plain && (!a.blockPlainAllowed || s == "" && key) {
		requested = single
	}
	if requested == single && !a.singleQuotedAllowed {
		requested = double
	}
	if requested == literal && (!a.blockAllowed || key) {
		requested = double
	}
	return requested
}

// simpleDouble is whether s, to be double-quoted, needs no escape and,
// as a value, no line break: printable characters but quotes and
// backslashes, and no space in a value.
func simpleDouble(s string, key bool) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !printable(s, i) || r == '"' || r == '\\' || r == '\n' || r == '\uFEFF' || r == ' ' && !key {
			return false
		}
		i += size
	}
	return true
}

// resolvesToString is whether go-yaml reads s, unquoted, as a string:
// not a boolean, null, number or timestamp.
func resolvesToString(s string) bool {
	if s == "" {
		return false
	}
	switch c := s[0]; {
	case c == '+' || c == '-' || c >= '0' && c <= '9':
		if timestamp(s) {
			return false
		}
		p := strings.ReplaceAll(s, "_", "")
		if _, err := strconv.ParseInt(p, 0, 64); err == nil {
			return false
		}
		if _, err := strconv.ParseUint(p, 0, 64); err == nil {
			return false
		}
		if yamlFloat.MatchString(p) {
			if _, err := strconv.ParseFloat(p, 64); err == nil {
				return false
			}
		}
		return !reserved[s]
	case c == '.':
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return false
		}
		return !reserved[s]
	case strings.IndexByte("yYnNtTfFoO~", c) >= 0:
		return !reserved[s]
	}
	return true
}

// reserved are the plain scalars go-yaml v2 reads as something else.
var reserved = map[string]bool{}

func init() {
	for _, s := range strings.Fields("y Y yes Yes YES true True TRUE on On ON n N no No NO false False FALSE off Off OFF ~ null Null NULL " +
		".nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF <<") {
		reserved[s] = true
	}
}

var (
	yamlFloat   = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
	base60Float = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)
)

// isBase60Float is go-yaml's test of a base-60 float, which it quotes.
func isBase60Float(s string) bool {
	if s == "" {
		return false
	}
	if c := s[0]; !(c == '+' || c == '-' || c >= '0' && c <= '9') || strings.IndexByte(s, ':') < 0 {
		return false
	}
	return base60Float.MatchString(s)
}

// timestamp is whether go-yaml reads s as a timestamp.
func timestamp(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c < '0' || c > '9' {
			break
		}
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, layout := range []string{"2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00", "2006-1-2 15:4:5.999999999", "2006-1-2"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// analysis is what go-yaml's emitter allows for a scalar.
type analysis struct {
	multiline, blockPlainAllowed, singleQuotedAllowed, blockAllowed bool
}

// analyze follows go-yaml's yaml_emitter_analyze_scalar for a block
// context.
func analyze(s string) analysis {
	if s == "" {
		return analysis{blockPlainAllowed: true, singleQuotedAllowed: true}
	}
	var blockIndicators, lineBreaks, special, leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockIndicators = true
	}
	precededByWhitespace := true
	previousSpace, previousBreak := false, false
	for i := 0; i < len(s); {
		_, w := utf8.DecodeRuneInString(s[i:])
		followedByWhitespace := i+w >= len(s) || s[i+w] == ' ' || s[i+w] == '\t'
		c := s[i]
		if i == 0 {
			switch c {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				blockIndicators = true
			case '?', ':':
				if followedByWhitespace {
					blockIndicators = true
				}
			case '-':
				if followedByWhitespace {
					blockIndicators = true
				}
			}
		} else {
			switch c {
			case ':':
				if followedByWhitespace {
					blockIndicators = true
				}
			case '#':
				if precededByWhitespace {
					blockIndicators = true
				}
			}
		}
		if !printable(s, i) {
			special = true
		}
		switch {
		case c == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i+w == len(s) {
				trailingSpace = true
			}
			if previousBreak {
				breakSpace = true
			}
			previousSpace, previousBreak = true, false
		case c == '\n':
			lineBreaks = true
			if i == 0 {
				leadingBreak = true
			}
			if i+w == len(s) {
				trailingBreak = true
			}
			if previousSpace {
				spaceBreak = true
			}
			previousSpace, previousBreak = false, true
		default:
			previousSpace, previousBreak = false, false
		}
		precededByWhitespace = c == ' ' || c == '\t' || c == '\n' || c == 0
		i += w
	}
	a := analysis{multiline: lineBreaks, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.blockPlainAllowed = false
	}
	if trailingSpace {
		a.blockAllowed = false
	}
	if breakSpace {
		a.blockPlainAllowed, a.singleQuotedAllowed = false, false
	}
	if spaceBreak || special {
		a.blockPlainAllowed, a.singleQuotedAllowed, a.blockAllowed = false, false, false
	}
	if lineBreaks || blockIndicators {
		a.blockPlainAllowed = false
	}
	return a
}

// printable follows go-yaml's is_printable for the character at s[i].
func printable(s string, i int) bool {
	b := func(k int) byte {
		if i+k < len(s) {
			return s[i+k]
		}
		return 0
	}
	c := s[i]
	return c == 0x0A || c >= 0x20 && c <= 0x7E ||
		c == 0xC2 && b(1) >= 0xA0 ||
		c > 0xC2 && c < 0xED ||
		c == 0xED && b(1) < 0xA0 ||
		c == 0xEE ||
		c == 0xEF && !(b(1) == 0xBB && b(2) == 0xBF) && !(b(1) == 0xBF && (b(2) == 0xBE || b(2) == 0xBF))
}

// keyLess orders string keys as go-yaml v2 does: rune by rune, letters
// before other characters, runs of digits by their number.
func keyLess(a, b string) bool {
	ar, br := []rune(a), []rune(b)
	for i := 0; i < len(ar) && i < len(br); i++ {
		if ar[i] == br[i] {
			continue
		}
		al, bl := unicode.IsLetter(ar[i]), unicode.IsLetter(br[i])
		if al && bl {
			return ar[i] < br[i]
		}
		if al || bl {
			return bl
		}
		var ai, bi int
		var an, bn int64
		if ar[i] == '0' || br[i] == '0' {
			for j := i - 1; j >= 0 && unicode.IsDigit(ar[j]); j-- {
				if ar[j] != '0' {
					an, bn = 1, 1
					break
				}
			}
		}
		for ai = i; ai < len(ar) && unicode.IsDigit(ar[ai]); ai++ {
			an = an*10 + int64(ar[ai]-'0')
		}
		for bi = i; bi < len(br) && unicode.IsDigit(br[bi]); bi++ {
			bn = bn*10 + int64(br[bi]-'0')
		}
		if an != bn {
			return an < bn
		}
		if ai != bi {
			return ai < bi
		}
		return ar[i] < br[i]
	}
	return len(ar) < len(br)
}
