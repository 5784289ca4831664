package protocol

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
)

// fieldPlan is what the codecs need to know about one member of a shape,
// parsed once from its struct tags.
type fieldPlan struct {
	index    []int // path through embedded structs (reflect FieldByIndex)
	goName   string
	name     string // query/ec2query wire name
	jsonName string // json/cbor name ("" when the member is not in JSON)
	required bool
	flat     bool   // query list/map without the .member/.entry level
	member   string // list member name (query, non-flat)
	key      string // map key name
	value    string // map value name
}

type structPlan struct {
	fields []fieldPlan
}

// shapeCache holds parsed plans per struct type. It is owned by an
// Endpoint; there is no package-level cache.
type shapeCache struct {
	plans sync.Map // reflect.Type -> *structPlan
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	protoTimeType = reflect.TypeFor[Time]()
)

func isTimeType(t reflect.Type) bool { return t == timeType || t == protoTimeType }

func (c *shapeCache) plan(t reflect.Type) (*structPlan, error) {
	if p, ok := c.plans.Load(t); ok {
		return p.(*structPlan), nil
	}
	p, err := buildPlan(t)
	if err != nil {
		return nil, err
	}
	c.plans.Store(t, p)
	return p, nil
}

// buildPlan parses the `query` tags of struct type t. Grammar (see doc.go):
//
//	query:"[Name][,required][,flat][,member=M][,key=K][,value=V]"  or  query:"-"
func buildPlan(t reflect.Type) (*structPlan, error) {
	p := &structPlan{}
	if err := addFields(p, t, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// addFields adds t's members to p. An embedded (non-pointer) struct's
// members count as the outer struct's own, so shapes that extend another
// (SimulatePrincipalPolicy = SimulateCustomPolicy + PolicySourceArn) embed
// it instead of repeating it.
func addFields(p *structPlan, t reflect.Type, prefix []int) error {
	for i := range t.NumField() {
		sf := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct && sf.Tag.Get("query") == "" {
			if err := addFields(p, sf.Type, index); err != nil {
				return err
			}
			continue
		}
		if !sf.IsExported() || sf.Anonymous {
			continue
		}
		tag := sf.Tag.Get("query")
		if tag == "-" {
			continue
		}
		f := fieldPlan{index: index, goName: sf.Name, name: sf.Name, member: "member", key: "key", value: "value"}
		parts := strings.Split(tag, ",")
		if parts[0] != "" {
			f.name = parts[0]
		}
		for _, opt := range parts[1:] {
			k, v, _ := strings.Cut(opt, "=")
			switch k {
			case "required":
				f.required = true
			case "flat":
				f.flat = true
			case "member":
				f.member = v
			case "key":
				f.key = v
			case "value":
				f.value = v
			default:
				return fmt.Errorf("protocol: %s.%s: unknown query tag option %q", t, sf.Name, opt)
			}
		}
		f.jsonName = sf.Name
		if jt := sf.Tag.Get("json"); jt != "" {
			n, _, _ := strings.Cut(jt, ",")
			switch n {
			case "-":
				f.jsonName = ""
			case "":
			default:
				f.jsonName = n
			}
		}
		p.fields = append(p.fields, f)
	}
	return nil
}

// lowerFirst renders a member name the way AWS validation messages do
// ("UserName" -> "userName").
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// checkRequired walks a decoded JSON/CBOR input and reports required members
// that are absent (nil pointer, slice or map, or an empty string).
func (c *shapeCache) checkRequired(v reflect.Value, path string, missing *[]string, depth int) error {
	if depth > maxKeySegments {
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return c.checkRequired(v.Elem(), path, missing, depth+1)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil
		}
		for i := range v.Len() {
			if err := c.checkRequired(v.Index(i), fmt.Sprintf("%s.%d", path, i+1), missing, depth+1); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if err := c.checkRequired(it.Value(), fmt.Sprintf("%s.%v", path, it.Key()), missing, depth+1); err != nil {
				return err
			}
		}
		return nil
	case reflect.Struct:
	default:
		return nil
	}
	if isTimeType(v.Type()) {
		return nil
	}
	p, err := c.plan(v.Type())
	if err != nil {
		return err
	}
	for _, f := range p.fields {
		if f.jsonName == "" {
			continue
		}
		fv := v.FieldByIndex(f.index)
		name := lowerFirst(f.jsonName)
		if path != "" {
			name = path + "." + name
		}
		if f.required && isAbsent(fv) {
			*missing = append(*missing, name)
			continue
		}
		if err := c.checkRequired(fv, name, missing, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func isAbsent(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return v.IsNil()
	case reflect.String:
		return v.Len() == 0
	}
	return false
}
