// Package yamlenc writes the JSON text of an object as YAML, byte for
// byte as go-yaml v2 (the encoder sigs.k8s.io/yaml uses) writes the same
// value with its map keys sorted: block style, two spaces of indentation,
// sequences not indented inside mappings. It does so without reflection
// or a map per object. It writes the values Kubernetes objects hold:
// for a value whose form it does not reproduce exactly (a float, a string
// go-yaml would double-quote with escapes, a key too long to be simple),
// Write reports false and the caller uses go-yaml.
package yamlenc

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Node is a JSON value.
type Node struct {
	Kind Kind
	Text string   // a string's value, a number's digits
	Keys []string // an object's keys, in the order of Vals
	Vals []*Node  // an object's values, or an array's elements
}

// Kind of a Node.
type Kind byte

// The kinds of JSON values.
const (
	Null Kind = iota
	Bool
	Number
	String
	Object
	Array
)

// Get is the value of key in an object, or nil.
func (n *Node) Get(key string) *Node {
	if i := slices.Index(n.Keys, key); i >= 0 {
		return n.Vals[i]
	}
	return nil
}

// Delete removes key from an object.
func (n *Node) Delete(key string) {
	if i := slices.Index(n.Keys, key); i >= 0 {
		n.Keys = slices.Delete(n.Keys, i, i+1)
		n.Vals = slices.Delete(n.Vals, i, i+1)
	}
}

// Parse parses JSON text, as encoding/json writes it.
func Parse(data []byte) (*Node, error) {
	p := &parser{data: data}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.data) {
		return nil, errors.New("yamlenc: text after the JSON value")
	}
	return n, nil
}

type parser struct {
	data []byte
	i    int
}

var errSyntax = errors.New("yamlenc: invalid JSON")

func (p *parser) space() {
	for p.i < len(p.data) && (p.data[p.i] == ' ' || p.data[p.i] == '\n' || p.data[p.i] == '\t' || p.data[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) value() (*Node, error) {
	p.space()
	if p.i >= len(p.data) {
		return nil, errSyntax
	}
	switch c := p.data[p.i]; {
	case c == '{':
		p.i++
		n := &Node{Kind: Object}
		p.space()
		if p.i < len(p.data) && p.data[p.i] == '}' {
			p.i++
			return n, nil
		}
		for {
			p.space()
			key, err := p.str()
			if err != nil {
				return nil, err
			}
			p.space()
			if p.i >= len(p.data) || p.data[p.i] != ':' {
				return nil, errSyntax
			}
			p.i++
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			n.Keys, n.Vals = append(n.Keys, key), append(n.Vals, v)
			p.space()
			if p.i >= len(p.data) {
				return nil, errSyntax
			}
			if p.data[p.i] == '}' {
				p.i++
				return n, nil
			}
			if p.data[p.i] != ',' {
				return nil, errSyntax
			}
			p.i++
		}
	case c == '[':
		p.i++
		n := &Node{Kind: Array}
		p.space()
		if p.i < len(p.data) && p.data[p.i] == ']' {
			p.i++
			return n, nil
		}
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			n.Vals = append(n.Vals, v)
			p.space()
			if p.i >= len(p.data) {
				return nil, errSyntax
			}
			if p.data[p.i] == ']' {
				p.i++
				return n, nil
			}
			if p.data[p.i] != ',' {
				return nil, errSyntax
			}
			p.i++
		}
	case c == '"':
		s, err := p.str()
		return &Node{Kind: String, Text: s}, err
	case c == 't' && bytes.HasPrefix(p.data[p.i:], []byte("true")):
		p.i += 4
		return &Node{Kind: Bool, Text: "true"}, nil
	case c == 'f' && bytes.HasPrefix(p.data[p.i:], []byte("false")):
		p.i += 5
		return &Node{Kind: Bool, Text: "false"}, nil
	case c == 'n' && bytes.HasPrefix(p.data[p.i:], []byte("null")):
		p.i += 4
		return &Node{Kind: Null}, nil
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		for p.i < len(p.data) && bytes.IndexByte([]byte("+-.0123456789eE"), p.data[p.i]) >= 0 {
			p.i++
		}
		return &Node{Kind: Number, Text: string(p.data[start:p.i])}, nil
	}
	return nil, errSyntax
}

// str reads a JSON string.
func (p *parser) str() (string, error) {
	if p.i >= len(p.data) || p.data[p.i] != '"' {
		return "", errSyntax
	}
	p.i++
	start := p.i
	for p.i < len(p.data) && p.data[p.i] != '"' && p.data[p.i] != '\\' {
		p.i++
	}
	if p.i < len(p.data) && p.data[p.i] == '"' { // no escapes: the common case
		s := string(p.data[start:p.i])
		p.i++
		return s, nil
	}
	// Find the end, honouring escapes, and let strconv unquote it.
	end := p.i
	for end < len(p.data) && p.data[end] != '"' {
		if p.data[end] == '\\' {
			end++
		}
		end++
	}
	if end >= len(p.data) {
		return "", errSyntax
	}
	s, err := unquote(p.data[start-1 : end+1])
	p.i = end + 1
	return s, err
}

// unquote unquotes a JSON string with escapes.
func unquote(q []byte) (string, error) {
	var b []byte
	for i := 1; i < len(q)-1; i++ {
		c := q[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		if i >= len(q)-1 {
			return "", errSyntax
		}
		switch q[i] {
		case '"', '\\', '/':
			b = append(b, q[i])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			if i+4 >= len(q) {
				return "", errSyntax
			}
			r, err := strconv.ParseUint(string(q[i+1:i+5]), 16, 32)
			if err != nil {
				return "", errSyntax
			}
			i += 4
			if r >= 0xD800 && r < 0xDC00 && i+6 < len(q) && q[i+1] == '\\' && q[i+2] == 'u' {
				if r2, err := strconv.ParseUint(string(q[i+3:i+7]), 16, 32); err == nil && r2 >= 0xDC00 && r2 < 0xE000 {
					r = (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
					i += 6
				}
			}
			b = utf8.AppendRune(b, rune(r))
		default:
			return "", errSyntax
		}
	}
	return string(b), nil
}
