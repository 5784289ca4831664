package policy

import (
	"strings"
)

// globMatch reports whether s matches pattern, where '*' matches any run of
// characters (including none) and '?' exactly one byte. fold compares ASCII
// letters case-insensitively (actions); otherwise matching is exact
// (resources, StringLike). It never allocates; the classic single-backtrack
// algorithm is linear for patterns with one '*' and O(len(p)*len(s)) worst case.
func globMatch(p, s string, fold bool) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; {
			case c == '*':
				star, mark = pi, si
				pi++
				continue
			case c == '?' || c == s[si] || (fold && lowerASCII(c) == lowerASCII(s[si])):
				pi++
				si++
				continue
			}
		}
		if star < 0 {
			return false
		}
		pi = star + 1
		mark++
		si = mark
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func hasUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// elem is one piece of a compiled template.
type elemKind uint8

const (
	eLit  elemKind = iota // literal text (wildcard characters in it are literal)
	eStar                 // '*'
	eOne                  // '?'
	eVar                  // ${key} or ${key, 'default'}
)

type elem struct {
	kind   elemKind
	lit    string // eLit text; eVar default
	key    string // eVar: lowercased context key
	hasDef bool
	idx    int // eVar: index into the resolved values
}

// template is a compiled string from a policy: Resource ARN segments and
// condition values. With wildcards, '*' and '?' are wildcards; with vars
// (policy language 2012-10-17), ${...} are policy variables whose values
// are substituted literally at evaluation time.
type template struct {
	raw    string
	elems  []elem
	nvars  int
	plain  bool // only literal text: compare raw directly
	anyStr bool // exactly "*" with wildcards: matches everything
	// prefix and suffix are the literal text a match must start and end
	// with (empty when the pattern starts/ends with a wildcard or a
	// variable): a cheap test that rejects most candidates before globbing.
	prefix, suffix string
}

// compileTemplate parses s. vars enables policy variables, wild enables
// '*'/'?' wildcards. It reports a malformed variable as an error.
func compileTemplate(s string, vars, wild bool) (template, error) {
	t := template{raw: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.elems = append(t.elems, elem{kind: eLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return template{}, &Error{Msg: "unterminated policy variable in " + quote(s)}
			}
			inner := s[i+2 : i+2+end]
			i += 2 + end
			switch inner {
			case "*", "?", "$":
				lit.WriteString(inner)
				continue
			}
			e := elem{kind: eVar, idx: t.nvars}
			name := inner
			if comma := strings.IndexByte(inner, ','); comma >= 0 {
				name = inner[:comma]
				def := strings.TrimSpace(inner[comma+1:])
				if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
					return template{}, &Error{Msg: "policy variable default must be quoted like ${key, 'default'} in " + quote(s)}
				}
				e.lit, e.hasDef = def[1:len(def)-1], true
			}
			name = strings.TrimSpace(name)
			if name == "" || strings.ContainsAny(name, " ${'") {
				return template{}, &Error{Msg: "invalid policy variable ${" + inner + "} in " + quote(s)}
			}
			e.key = strings.ToLower(name)
			flush()
			t.elems = append(t.elems, e)
			t.nvars++
		case wild && c == '*':
			flush()
			t.elems = append(t.elems, elem{kind: eStar})
		case wild && c == '?':
			flush()
			t.elems = append(t.elems, elem{kind: eOne})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	t.plain = len(t.elems) == 0 || (len(t.elems) == 1 && t.elems[0].kind == eLit)
	if t.plain && len(t.elems) == 1 {
		t.raw = t.elems[0].lit // special variables like ${*} resolved
	} else if t.plain {
		t.raw = ""
	}
	t.anyStr = len(t.elems) == 1 && t.elems[0].kind == eStar
	if !t.plain && len(t.elems) > 1 {
		if first := t.elems[0]; first.kind == eLit {
			t.prefix = first.lit
		}
		if last := t.elems[len(t.elems)-1]; last.kind == eLit {
			t.suffix = last.lit
		}
	}
	return t, nil
}

// maxStackVars is how many variable values a match resolves without
// allocating.
const maxStackVars = 8

// resolve looks up every variable of t. ok is false if one has no value and
// no default: AWS then treats the value as not matching.
func (t *template) resolve(c *ctxView, buf []string) ([]string, bool) {
	vals := buf[:0]
	for i := range t.elems {
		e := &t.elems[i]
		if e.kind != eVar {
			continue
		}
		v, ok := c.variable(e.key)
		if !ok {
			if !e.hasDef {
				return nil, false
			}
			v = e.lit
		}
		vals = append(vals, v)
	}
	return vals, true
}

// match reports whether s matches t (glob semantics if t has wildcards,
// exact otherwise; case-sensitive).
func (t *template) match(s string, c *ctxView) bool {
	if t.plain {
		return t.raw == s
	}
	if t.anyStr {
		return true
	}
	if !strings.HasPrefix(s, t.prefix) || !strings.HasSuffix(s, t.suffix) || len(s) < len(t.prefix)+len(t.suffix) {
		return false
	}
	return t.matchSlow(s, c)
}

func (t *template) matchSlow(s string, c *ctxView) bool {
	if t.nvars == 0 {
		return globElems(t.elems, nil, s)
	}
	var buf [maxStackVars]string
	vals, ok := t.resolve(c, buf[:])
	if !ok {
		return false
	}
	return globElems(t.elems, vals, s)
}

// expand returns t with variables substituted (allocates; rare paths only).
func (t *template) expand(c *ctxView) (string, bool) {
	if t.plain {
		return t.raw, true
	}
	var buf [maxStackVars]string
	vals, ok := t.resolve(c, buf[:])
	if !ok {
		return "", false
	}
	var b strings.Builder
	for _, e := range t.elems {
		switch e.kind {
		case eLit:
			b.WriteString(e.lit)
		case eStar:
			b.WriteByte('*')
		case eOne:
			b.WriteByte('?')
		case eVar:
			b.WriteString(vals[e.idx])
		}
	}
	return b.String(), true
}

// globElems is globMatch over a template: the position in the pattern is
// (element, offset in that element's literal text); variable values are
// literal text. Case-sensitive.
func globElems(es []elem, vals []string, s string) bool {
	ei, eo, si := 0, 0, 0
	starE, mark := -1, 0
	text := func(e *elem) string {
		if e.kind == eVar {
			return vals[e.idx]
		}
		return e.lit
	}
	for si < len(s) {
		if ei < len(es) {
			e := &es[ei]
			switch e.kind {
			case eStar:
				starE, mark = ei, si
				ei, eo = ei+1, 0
				continue
			case eOne:
				ei, eo = ei+1, 0
				si++
				continue
			default:
				lt := text(e)
				if eo == len(lt) {
					ei, eo = ei+1, 0
					continue
				}
				if lt[eo] == s[si] {
					eo++
					si++
					continue
				}
			}
		}
		if starE < 0 {
			return false
		}
		mark++
		si = mark
		ei, eo = starE+1, 0
	}
	for ei < len(es) {
		e := &es[ei]
		switch e.kind {
		case eStar:
		case eOne:
			return false
		default:
			if eo != len(text(e)) {
				return false
			}
		}
		ei, eo = ei+1, 0
	}
	return true
}
