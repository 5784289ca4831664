package policy

import (
	"encoding/base64"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

type opKind uint8

const (
	opString     opKind = iota + 1 // StringEquals / StringNotEquals
	opStringFold                   // StringEqualsIgnoreCase / StringNotEqualsIgnoreCase
	opStringLike                   // StringLike / StringNotLike
	opNumeric
	opDate
	opBool
	opBinary
	opIP
	opARN // ArnEquals/ArnLike (identical per AWS) and their negations
	opNull
)

type cmpKind uint8

const (
	cmpEq cmpKind = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type setKind uint8

const (
	setNone setKind = iota
	setForAll
	setForAny
)

// condition is one (operator, key) pair of a Condition block with its
// pre-parsed values. Values of one key are ORed; conditions are ANDed.
type condition struct {
	op       opKind
	cmp      cmpKind
	negate   bool
	ifExists bool
	set      setKind
	key      string // lowercased context key
	strs     []template
	arns     []arnPattern
	nums     []float64
	times    []time.Time
	canon    []string // times[i] as "2006-01-02T15:04:05Z" ("" if not representable)
	bins     [][]byte
	nets     []netip.Prefix
	nulls    []bool
}

// parseOperator splits a condition operator name into its parts.
// Operator names are case-sensitive, as in AWS.
func parseOperator(name string) (c condition, ok bool) {
	base := name
	switch {
	case strings.HasPrefix(base, "ForAllValues:"):
		c.set, base = setForAll, base[len("ForAllValues:"):]
	case strings.HasPrefix(base, "ForAnyValue:"):
		c.set, base = setForAny, base[len("ForAnyValue:"):]
	}
	if b, found := strings.CutSuffix(base, "IfExists"); found {
		c.ifExists, base = true, b
	}
	switch base {
	case "StringEquals":
		c.op = opString
	case "StringNotEquals":
		c.op, c.negate = opString, true
	case "StringEqualsIgnoreCase":
		c.op = opStringFold
	case "StringNotEqualsIgnoreCase":
		c.op, c.negate = opStringFold, true
	case "StringLike":
		c.op = opStringLike
	case "StringNotLike":
		c.op, c.negate = opStringLike, true
	case "NumericEquals":
		c.op = opNumeric
	case "NumericNotEquals":
		c.op, c.negate = opNumeric, true
	case "NumericLessThan":
		c.op, c.cmp = opNumeric, cmpLt
	case "NumericLessThanEquals":
		c.op, c.cmp = opNumeric, cmpLe
	case "NumericGreaterThan":
		c.op, c.cmp = opNumeric, cmpGt
	case "NumericGreaterThanEquals":
		c.op, c.cmp = opNumeric, cmpGe
	case "DateEquals":
		c.op = opDate
	case "DateNotEquals":
		c.op, c.negate = opDate, true
	case "DateLessThan":
		c.op, c.cmp = opDate, cmpLt
	case "DateLessThanEquals":
		c.op, c.cmp = opDate, cmpLe
	case "DateGreaterThan":
		c.op, c.cmp = opDate, cmpGt
	case "DateGreaterThanEquals":
		c.op, c.cmp = opDate, cmpGe
	case "Bool":
		c.op = opBool
	case "BinaryEquals":
		c.op = opBinary
	case "IpAddress":
		c.op = opIP
	case "NotIpAddress":
		c.op, c.negate = opIP, true
	case "ArnEquals", "ArnLike":
		c.op = opARN
	case "ArnNotEquals", "ArnNotLike":
		c.op, c.negate = opARN, true
	case "Null":
		if c.ifExists || c.set != setNone {
			return c, false
		}
		c.op = opNull
	default:
		return c, false
	}
	return c, true
}

// compileConditions compiles a Condition element. Operators and keys are
// sorted so errors and evaluation order are deterministic.
func compileConditions(v *jvalue, vars bool, loc string) ([]condition, error) {
	if v.kind != jObject {
		return nil, errorf(loc, "must be an object, not %s", v.kind)
	}
	fields := append([]jfield(nil), v.obj...)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].key < fields[j].key })
	var out []condition
	for _, f := range fields {
		proto, ok := parseOperator(f.key)
		if !ok {
			return nil, errorf(loc, "unknown operator %s", quote(f.key))
		}
		oloc := loc + "." + f.key
		if f.val.kind != jObject {
			return nil, errorf(oloc, "must be an object of condition keys, not %s", f.val.kind)
		}
		if len(f.val.obj) == 0 {
			return nil, errorf(oloc, "has no condition keys")
		}
		keys := append([]jfield(nil), f.val.obj...)
		sort.SliceStable(keys, func(i, j int) bool { return keys[i].key < keys[j].key })
		for _, k := range keys {
			kloc := oloc + "." + k.key
			if k.key == "" {
				return nil, errorf(oloc, "empty condition key")
			}
			vals, err := scalarList(&k.val, kloc, true)
			if err != nil {
				return nil, err
			}
			c := proto
			c.key = strings.ToLower(k.key)
			if err := c.compileValues(vals, vars, kloc); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func (c *condition) compileValues(vals []string, vars bool, loc string) error {
	for _, s := range vals {
		switch c.op {
		case opString, opStringFold, opStringLike, opBool:
			t, err := compileTemplate(s, vars, c.op == opStringLike)
			if err != nil {
				return withLoc(loc, err)
			}
			if c.op == opBool && t.nvars == 0 && !strings.EqualFold(t.raw, "true") && !strings.EqualFold(t.raw, "false") {
				return errorf(loc, "Bool value %s is not true or false", quote(s))
			}
			c.strs = append(c.strs, t)
		case opARN:
			p, err := compileARN(s, vars)
			if err != nil {
				return withLoc(loc, err)
			}
			c.arns = append(c.arns, p)
		case opNumeric:
			n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return errorf(loc, "value %s is not a number", quote(s))
			}
			c.nums = append(c.nums, n)
		case opDate:
			t, ok := parseDate(s)
			if !ok {
				return errorf(loc, "value %s is not an ISO 8601 date or epoch time", quote(s))
			}
			c.times = append(c.times, t)
			c.canon = append(c.canon, canonicalTime(t))
		case opBinary:
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return errorf(loc, "value %s is not base64", quote(s))
			}
			c.bins = append(c.bins, b)
		case opIP:
			p, ok := parseIPValue(s)
			if !ok {
				return errorf(loc, "value %s is not an IP address or CIDR", quote(s))
			}
			c.nets = append(c.nets, p)
		case opNull:
			switch strings.ToLower(s) {
			case "true":
				c.nulls = append(c.nulls, true)
			case "false":
				c.nulls = append(c.nulls, false)
			default:
				return errorf(loc, "Null value %s is not true or false", quote(s))
			}
		}
	}
	return nil
}

func parseIPValue(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// dateLayouts are the W3C profile of ISO 8601 that AWS documents, plus the
// common variants without seconds' fraction or zone.
var dateLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"2006",
}

// parseDate parses an ISO 8601 date/time or an epoch time in seconds. It
// does not allocate on success for the RFC 3339 and epoch forms.
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if isDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// eval applies the condition to the request context, following AWS's
// documented rules for missing keys, IfExists and the set qualifiers.
func (c *condition) eval(x *ctxView) bool {
	vals := x.get(c.key)
	present := len(vals) > 0
	if c.op == opNull {
		for _, wantNull := range c.nulls {
			if wantNull != present {
				return true
			}
		}
		return false
	}
	if !present {
		if c.ifExists {
			return true
		}
		switch c.set {
		case setForAll:
			return true // vacuous truth, as documented
		case setForAny:
			return false
		}
		// "If the key is not present, the values do not match and the
		// condition is false"; a negated operator is then true.
		return c.negate
	}
	switch c.set {
	case setForAll:
		for _, v := range vals {
			if c.matchAny(v, x) == c.negate {
				return false
			}
		}
		return true
	case setForAny:
		for _, v := range vals {
			if c.matchAny(v, x) != c.negate {
				return true
			}
		}
		return false
	}
	for _, v := range vals {
		if c.matchAny(v, x) {
			return !c.negate
		}
	}
	return c.negate
}

// matchAny reports whether request value v matches any policy value under
// the positive form of the operator.
func (c *condition) matchAny(v string, x *ctxView) bool {
	switch c.op {
	case opString, opStringLike:
		for i := range c.strs {
			if c.strs[i].match(v, x) {
				return true
			}
		}
	case opStringFold, opBool:
		for i := range c.strs {
			t := &c.strs[i]
			if t.plain {
				if strings.EqualFold(t.raw, v) {
					return true
				}
			} else if s, ok := t.expand(x); ok && strings.EqualFold(s, v) {
				return true
			}
		}
	case opARN:
		a := splitARN(v)
		for i := range c.arns {
			if c.arns[i].match(v, &a, x) {
				return true
			}
		}
	case opNumeric:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		for _, p := range c.nums {
			if compare(c.cmp, cmp3(n, p)) {
				return true
			}
		}
	case opDate:
		if isCanonicalTime(v) {
			// aws:CurrentTime is normally exactly this form: compare as
			// text, which orders like time, without parsing.
			fast := true
			for _, cs := range c.canon {
				if cs == "" {
					fast = false
					break
				}
				if compare(c.cmp, strings.Compare(v, cs)) {
					return true
				}
			}
			if fast {
				return false
			}
		}
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for _, p := range c.times {
			if compare(c.cmp, t.Compare(p)) {
				return true
			}
		}
	case opBinary:
		for _, b := range c.bins {
			if string(b) == v {
				return true
			}
		}
	case opIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap().WithZone("")
		for _, p := range c.nets {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

func cmp3(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(k cmpKind, r int) bool {
	switch k {
	case cmpLt:
		return r < 0
	case cmpLe:
		return r <= 0
	case cmpGt:
		return r > 0
	case cmpGe:
		return r >= 0
	}
	return r == 0
}

const canonicalLayout = "2006-01-02T15:04:05Z"

// canonicalTime formats t in the fixed-width UTC layout whose text order is
// time order, or returns "" when t has sub-second precision or a year
// outside 0000-9999.
func canonicalTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond() != 0 || t.Year() < 0 || t.Year() > 9999 {
		return ""
	}
	return t.Format(canonicalLayout)
}

// isCanonicalTime reports whether v is a valid "YYYY-MM-DDTHH:MM:SSZ" time
// whose text can be compared with canonicalTime values.
func isCanonicalTime(v string) bool {
	if len(v) != len(canonicalLayout) {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch i {
		case 4, 7:
			if c != '-' {
				return false
			}
		case 10:
			if c != 'T' {
				return false
			}
		case 13, 16:
			if c != ':' {
				return false
			}
		case 19:
			if c != 'Z' {
				return false
			}
		default:
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	// Out-of-range fields (and days past 28, which need the calendar) take
	// the parsing path, which rejects invalid dates.
	num := func(i int) int { return int(v[i]-'0')*10 + int(v[i+1]-'0') }
	mo, d, h, mi, se := num(5), num(8), num(11), num(14), num(17)
	return mo >= 1 && mo <= 12 && d >= 1 && d <= 28 && h <= 23 && mi <= 59 && se <= 59
}
