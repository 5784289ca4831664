package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Kind says where a document is used; validation differs.
type Kind int

const (
	Identity Kind = iota + 1 // user/group/role inline or managed policy: Principal/NotPrincipal forbidden
	Resource                 // resource-based (bucket policy...): Principal or NotPrincipal required
	Trust                    // role trust policy: Principal or NotPrincipal required, Resource/NotResource forbidden
	Boundary                 // permissions boundary: like Identity
	Session                  // session policy passed to AssumeRole: like Identity
)

func (k Kind) String() string {
	switch k {
	case Identity:
		return "identity"
	case Resource:
		return "resource"
	case Trust:
		return "trust"
	case Boundary:
		return "boundary"
	case Session:
		return "session"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// iamStored reports whether IAM itself stores/validates documents of this
// kind, which brings IAM's Sid rules (alphanumeric, unique).
func (k Kind) iamStored() bool { return k != Resource }

// Policy language versions.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Error is a validation error. Msg says what and where, e.g.
// `Statement[1].Condition: unknown operator "StringEqualz"`; statement
// indexes are 0-based. The IAM service returns it as MalformedPolicyDocument.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(loc, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if loc != "" {
		msg = loc + ": " + msg
	}
	return &Error{Msg: msg}
}

func withLoc(loc string, err error) error {
	if e, ok := err.(*Error); ok {
		return &Error{Msg: loc + ": " + e.Msg}
	}
	return errorf(loc, "%v", err)
}

// Document is a parsed and compiled policy. It is immutable after Parse and
// safe for concurrent use.
type Document struct {
	kind    Kind
	version string
	id      string
	stmts   []statement
	// Statement index by lowercased service prefix: svcs[k].list holds, in
	// order, the statements whose Action can name svcs[k].svc plus every
	// statement in always (NotAction, "*", wildcard service prefixes); other
	// services use always. Evaluation skips the rest without looking. A
	// linear scan beats a map for the few services a policy names.
	svcs   []svcIndex
	always []int
}

type svcIndex struct {
	svc  string
	list []int
}

func (d *Document) index() {
	var names []string
	for i := range d.stmts {
		st := &d.stmts[i]
		if st.alwaysCandidate() {
			d.always = append(d.always, i)
			continue
		}
		for _, a := range st.actions {
			if !slices.Contains(names, a.service) {
				names = append(names, a.service)
			}
		}
	}
	for _, svc := range names {
		var list []int
		for i := range d.stmts {
			st := &d.stmts[i]
			if st.alwaysCandidate() || slices.ContainsFunc(st.actions, func(a actionPattern) bool { return a.service == svc }) {
				list = append(list, i)
			}
		}
		d.svcs = append(d.svcs, svcIndex{svc: svc, list: list})
	}
}

// candidates returns the statements that may apply to an action of the
// lowercased service svc.
func (d *Document) candidates(svc string) []int {
	for i := range d.svcs {
		if d.svcs[i].svc == svc {
			return d.svcs[i].list
		}
	}
	return d.always
}

func (st *statement) alwaysCandidate() bool {
	if st.notAction {
		return true
	}
	for _, a := range st.actions {
		if a.all || a.svcGlob {
			return true
		}
	}
	return false
}

type statement struct {
	sid          string
	deny         bool
	principal    *principalSet // Principal or NotPrincipal; nil in identity-type docs
	notPrincipal bool
	actions      []actionPattern
	notAction    bool
	resources    []arnPattern
	notResource  bool
	anyResource  bool // trust policies have no Resource element
	conds        []condition
}

// actionPattern is a compiled Action entry: "*" or "service:action" where
// both halves may hold wildcards; matching is ASCII case-insensitive.
type actionPattern struct {
	all     bool
	service string // lowercased
	svcGlob bool
	action  string // lowercased
	actAll  bool
}

func (a *actionPattern) match(service, action string) bool {
	if a.all {
		return true
	}
	if a.svcGlob {
		if !globMatch(a.service, service, true) {
			return false
		}
	} else if !equalFoldASCII(a.service, service) {
		return false
	}
	return a.actAll || globMatch(a.action, action, true)
}

func equalFoldASCII(lower, s string) bool {
	if len(lower) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower[i] != lowerASCII(s[i]) {
			return false
		}
	}
	return true
}

// Kind reports the kind the document was parsed as.
func (d *Document) Kind() Kind { return d.kind }

// Statements reports the number of statements.
func (d *Document) Statements() int { return len(d.stmts) }

// Version reports the policy language version; a document without a Version
// element is 2008-10-17, as AWS documents.
func (d *Document) Version() string { return d.version }

// ID reports the document's optional Id element.
func (d *Document) ID() string { return d.id }

// Sid reports the Sid of statement i ("" if none).
func (d *Document) Sid(i int) string { return d.stmts[i].sid }

// MatchesPrincipal reports whether statement i's Principal or NotPrincipal
// element covers p. Statements without either (identity-type documents)
// cover every principal.
func (d *Document) MatchesPrincipal(i int, p Principal) bool {
	st := &d.stmts[i]
	return st.principalGrant(&p, false) != grantNone
}

// Parse validates and compiles a policy document. Errors are *Error.
func Parse(doc string, kind Kind) (*Document, error) {
	if kind < Identity || kind > Session {
		return nil, errorf("", "unknown policy kind %d", int(kind))
	}
	if len(doc) > maxDocBytes {
		return nil, errorf("", "policy document is larger than %d bytes", maxDocBytes)
	}
	root, err := decodeJSON(doc)
	if err != nil {
		return nil, errorf("", "Syntax errors in policy: %v", err)
	}
	if root.kind != jObject {
		return nil, errorf("", "policy must be a JSON object, not %s", root.kind)
	}
	d := &Document{kind: kind, version: Version2008}
	var stmtVal *jvalue
	for i := range root.obj {
		f := &root.obj[i]
		switch f.key {
		case "Version":
			if f.val.kind != jString || (f.val.str != Version2012 && f.val.str != Version2008) {
				return nil, errorf("Version", "must be %q or %q", Version2012, Version2008)
			}
			d.version = f.val.str
		case "Id":
			if f.val.kind != jString {
				return nil, errorf("Id", "must be a string, not %s", f.val.kind)
			}
			d.id = f.val.str
		case "Statement":
			stmtVal = &f.val
		default:
			return nil, errorf("", "unknown element %s", quote(f.key))
		}
	}
	if stmtVal == nil {
		return nil, errorf("", "missing required element \"Statement\"")
	}
	var raw []jvalue
	switch stmtVal.kind {
	case jObject:
		raw = []jvalue{*stmtVal}
	case jArray:
		raw = stmtVal.arr
	default:
		return nil, errorf("Statement", "must be an object or an array, not %s", stmtVal.kind)
	}
	if len(raw) == 0 {
		return nil, errorf("Statement", "must contain at least one statement")
	}
	vars := d.version == Version2012
	sids := map[string]int{}
	for i := range raw {
		loc := fmt.Sprintf("Statement[%d]", i)
		st, err := compileStatement(&raw[i], kind, vars, loc)
		if err != nil {
			return nil, err
		}
		if st.sid != "" && kind.iamStored() {
			if j, dup := sids[st.sid]; dup {
				return nil, errorf(loc+".Sid", "Statement IDs (SID) in a single policy must be unique: %s is also used by Statement[%d]", quote(st.sid), j)
			}
			sids[st.sid] = i
		}
		d.stmts = append(d.stmts, st)
	}
	d.index()
	return d, nil
}

func compileStatement(v *jvalue, kind Kind, vars bool, loc string) (statement, error) {
	var st statement
	if v.kind != jObject {
		return st, errorf(loc, "must be an object, not %s", v.kind)
	}
	var effect, principal, notPrincipal, action, notAction, resource, notResource, cond *jvalue
	for i := range v.obj {
		f := &v.obj[i]
		switch f.key {
		case "Sid":
			if f.val.kind != jString {
				return st, errorf(loc+".Sid", "must be a string, not %s", f.val.kind)
			}
			st.sid = f.val.str
			if kind.iamStored() && !isAlnum(st.sid) {
				return st, errorf(loc+".Sid", "%s must contain only letters A-Z, a-z and digits 0-9", quote(st.sid))
			}
		case "Effect":
			effect = &f.val
		case "Principal":
			principal = &f.val
		case "NotPrincipal":
			notPrincipal = &f.val
		case "Action":
			action = &f.val
		case "NotAction":
			notAction = &f.val
		case "Resource":
			resource = &f.val
		case "NotResource":
			notResource = &f.val
		case "Condition":
			cond = &f.val
		default:
			return st, errorf(loc, "unknown element %s", quote(f.key))
		}
	}
	// Effect.
	if effect == nil {
		return st, errorf(loc, "missing required element \"Effect\"")
	}
	if effect.kind != jString || (effect.str != "Allow" && effect.str != "Deny") {
		return st, errorf(loc+".Effect", "must be \"Allow\" or \"Deny\"")
	}
	st.deny = effect.str == "Deny"
	// Principal / NotPrincipal.
	switch kind {
	case Identity, Boundary, Session:
		if principal != nil || notPrincipal != nil {
			return st, errorf(loc, "Policy document should not specify a principal (%s policy)", kind)
		}
	default:
		if principal != nil && notPrincipal != nil {
			return st, errorf(loc, "cannot have both \"Principal\" and \"NotPrincipal\"")
		}
		if principal == nil && notPrincipal == nil {
			return st, errorf(loc, "missing required element \"Principal\" (%s policy)", kind)
		}
		var err error
		if principal != nil {
			st.principal, err = compilePrincipal(principal, loc+".Principal")
		} else {
			st.notPrincipal = true
			st.principal, err = compilePrincipal(notPrincipal, loc+".NotPrincipal")
		}
		if err != nil {
			return st, err
		}
	}
	// Action / NotAction.
	if action != nil && notAction != nil {
		return st, errorf(loc, "cannot have both \"Action\" and \"NotAction\"")
	}
	if action == nil && notAction == nil {
		return st, errorf(loc, "missing required element \"Action\" or \"NotAction\"")
	}
	aval, aloc := action, loc+".Action"
	if notAction != nil {
		aval, aloc, st.notAction = notAction, loc+".NotAction", true
	}
	acts, err := scalarList(aval, aloc, false)
	if err != nil {
		return st, err
	}
	for _, a := range acts {
		ap, err := compileAction(a, aloc)
		if err != nil {
			return st, err
		}
		st.actions = append(st.actions, ap)
	}
	// Resource / NotResource.
	if resource != nil && notResource != nil {
		return st, errorf(loc, "cannot have both \"Resource\" and \"NotResource\"")
	}
	if kind == Trust {
		if resource != nil || notResource != nil {
			return st, errorf(loc, "Has prohibited field Resource (trust policy)")
		}
		st.anyResource = true
	} else {
		if resource == nil && notResource == nil {
			return st, errorf(loc, "missing required element \"Resource\" or \"NotResource\"")
		}
		rval, rloc := resource, loc+".Resource"
		if notResource != nil {
			rval, rloc, st.notResource = notResource, loc+".NotResource", true
		}
		res, err := scalarList(rval, rloc, false)
		if err != nil {
			return st, err
		}
		for _, r := range res {
			if r != "*" && !strings.HasPrefix(r, "arn:") {
				return st, errorf(rloc, "Resource %s must be in ARN format or \"*\"", r)
			}
			p, err := compileARN(r, vars)
			if err != nil {
				return st, withLoc(rloc, err)
			}
			st.resources = append(st.resources, p)
		}
	}
	// Condition.
	if cond != nil {
		st.conds, err = compileConditions(cond, vars, loc+".Condition")
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

func compileAction(a, loc string) (actionPattern, error) {
	if a == "*" {
		return actionPattern{all: true}, nil
	}
	svc, act, ok := strings.Cut(a, ":")
	if !ok || svc == "" || act == "" || strings.ContainsAny(a, " \t\r\n") {
		return actionPattern{}, errorf(loc, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. (got %s)", quote(a))
	}
	for i := 0; i < len(svc); i++ {
		c := svc[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '*' || c == '?') {
			return actionPattern{}, errorf(loc, "invalid service prefix in action %s", quote(a))
		}
	}
	svc, act = strings.ToLower(svc), strings.ToLower(act)
	return actionPattern{
		service: svc,
		svcGlob: strings.ContainsAny(svc, "*?"),
		action:  act,
		actAll:  act == "*",
	}, nil
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// scalarList reads a string or a non-empty array of strings. With
// condValues, numbers and booleans are accepted too (as their JSON text).
func scalarList(v *jvalue, loc string, condValues bool) ([]string, error) {
	scalar := func(x *jvalue) (string, error) {
		switch x.kind {
		case jString:
			return x.str, nil
		case jNumber, jBool:
			if condValues {
				return x.str, nil
			}
		}
		want := "a string"
		if condValues {
			want = "a string, number or boolean"
		}
		return "", errorf(loc, "must be %s or a list of them, not %s", want, x.kind)
	}
	if v.kind != jArray {
		s, err := scalar(v)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	if len(v.arr) == 0 {
		return nil, errorf(loc, "must not be an empty list")
	}
	out := make([]string, 0, len(v.arr))
	for i := range v.arr {
		s, err := scalar(&v.arr[i])
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
