package policy

import "strings"

// arnSegments is an ARN split into its six colon-separated components:
// arn:partition:service:region:account:resource. The resource component is
// everything after the fifth colon, colons and slashes included.
type arnSegments struct {
	seg [6]string
	ok  bool // s had at least five colons
}

func splitARN(s string) arnSegments {
	var a arnSegments
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return arnSegments{}
		}
		a.seg[i], s = s[:j], s[j+1:]
	}
	a.seg[5] = s
	a.ok = true
	return a
}

// splitARNPattern is splitARN for patterns that may hold policy variables
// such as ${aws:PrincipalAccount}, whose colons are not separators.
func splitARNPattern(s string) arnSegments {
	var a arnSegments
	depth, start, n := 0, 0, 0
	for i := 0; i < len(s) && n < 5; i++ {
		switch {
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			depth++
			i++
		case s[i] == '}' && depth > 0:
			depth--
		case s[i] == ':' && depth == 0:
			a.seg[n] = s[start:i]
			start = i + 1
			n++
		}
	}
	if n < 5 {
		return arnSegments{}
	}
	a.seg[5] = s[start:]
	a.ok = true
	return a
}

// arnPattern matches ARNs the way AWS documents for Resource and the
// Arn* condition operators: each of the six components is matched
// separately, so a wildcard never crosses one of the first five colons, but
// within the resource component '*' spans '/' and ':'. A pattern that is
// not an ARN ("*", or fewer than six components) is matched as one glob
// against the whole string.
type arnPattern struct {
	whole  template
	isARN  bool
	seg    [6]template
	anyStr bool
}

func compileARN(s string, vars bool) (arnPattern, error) {
	var p arnPattern
	if s == "*" {
		p.anyStr = true
		return p, nil
	}
	a := splitARN(s)
	if vars {
		a = splitARNPattern(s) // colons inside ${...} do not split
	}
	if !a.ok {
		t, err := compileTemplate(s, vars, true)
		p.whole = t
		return p, err
	}
	p.isARN = true
	for i, sg := range a.seg {
		t, err := compileTemplate(sg, vars, true)
		if err != nil {
			return p, err
		}
		p.seg[i] = t
	}
	return p, nil
}

// match reports whether the ARN r (pre-split as ra) matches p.
func (p *arnPattern) match(r string, ra *arnSegments, c *ctxView) bool {
	if p.anyStr {
		return true
	}
	if !p.isARN {
		return p.whole.match(r, c)
	}
	if !ra.ok {
		return false
	}
	// Cheapest, most selective components first: service, resource.
	if !p.seg[2].match(ra.seg[2], c) || !p.seg[5].match(ra.seg[5], c) {
		return false
	}
	return p.seg[0].match(ra.seg[0], c) && p.seg[1].match(ra.seg[1], c) &&
		p.seg[3].match(ra.seg[3], c) && p.seg[4].match(ra.seg[4], c)
}
