package protocol

import (
	"encoding/base64"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// queryDecoder fills an input struct from a query or ec2query parameter
// tree. ec2 switches list naming to EC2's (always Name.N).
type queryDecoder struct {
	cache   *shapeCache
	ec2     bool
	missing []string
}

// decodeQuery decodes params into v (a pointer to an input struct).
func (c *shapeCache) decodeQuery(root *paramNode, v any, ec2 bool) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return &InputError{Msg: "internal: input is not a pointer to a struct"}
	}
	d := &queryDecoder{cache: c, ec2: ec2}
	if err := d.decodeStruct(rv.Elem(), root, "", ""); err != nil {
		return err
	}
	if len(d.missing) > 0 {
		return &InputError{Missing: d.missing}
	}
	return nil
}

// decodeStruct decodes the members of struct v from node n. wire is the
// dotted wire path of n; msgPath the lowerCamel path used in messages.
func (d *queryDecoder) decodeStruct(v reflect.Value, n *paramNode, wire, msgPath string) error {
	p, err := d.cache.plan(v.Type())
	if err != nil {
		return err
	}
	for _, f := range p.fields {
		fw, fm := join(wire, f.name), join(msgPath, lowerFirst(f.name))
		child := n.child(f.name)
		if child == nil {
			if f.required {
				if d.ec2 {
					d.missing = append(d.missing, fw)
				} else {
					d.missing = append(d.missing, fm)
				}
			}
			continue
		}
		if err := d.decodeValue(v.FieldByIndex(f.index), child, &f, fw, fm); err != nil {
			return err
		}
	}
	return nil
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func (d *queryDecoder) decodeValue(v reflect.Value, n *paramNode, f *fieldPlan, wire, msgPath string) error {
	t := v.Type()
	if isTimeType(t) {
		s, ok := n.leaf()
		if !ok {
			return inputErr("parameter %s must be a timestamp", wire)
		}
		tm, err := parseTimestamp(s)
		if err != nil {
			return &InputError{Msg: "invalid value for parameter " + wire + ": " + err.Error(), Err: err}
		}
		if t == timeType {
			v.Set(reflect.ValueOf(tm))
		} else {
			v.Set(reflect.ValueOf(Time{tm}))
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem := reflect.New(t.Elem())
		if err := d.decodeValue(elem.Elem(), n, f, wire, msgPath); err != nil {
			return err
		}
		v.Set(elem)
		return nil
	case reflect.Struct:
		return d.decodeStruct(v, n, wire, msgPath)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			s, ok := n.leaf()
			if !ok {
				return inputErr("parameter %s must be base64 data", wire)
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return &InputError{Msg: "invalid base64 in parameter " + wire, Err: err}
			}
			v.SetBytes(b)
			return nil
		}
		return d.decodeList(v, n, f, wire, msgPath)
	case reflect.Map:
		return d.decodeMap(v, n, f, wire, msgPath)
	}
	s, ok := n.leaf()
	if !ok {
		return inputErr("parameter %s must be a single value", wire)
	}
	return setScalar(v, s, wire)
}

// setScalar parses s into the string, bool or numeric value v.
func setScalar(v reflect.Value, s, wire string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		switch s {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return inputErr("invalid value %q for parameter %s: must be true or false", truncate(s), wire)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return &InputError{Msg: "invalid value \"" + truncate(s) + "\" for parameter " + wire + ": must be an integer in range", Err: err}
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return &InputError{Msg: "invalid value \"" + truncate(s) + "\" for parameter " + wire + ": must be a non-negative integer in range", Err: err}
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		x, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return &InputError{Msg: "invalid value \"" + truncate(s) + "\" for parameter " + wire + ": must be a number", Err: err}
		}
		v.SetFloat(x)
	default:
		return inputErr("internal: unsupported member type %s for %s", v.Type(), wire)
	}
	return nil
}

// indexed returns n's numeric children in ascending index order. Indexes
// must be decimal 1..maxListIndex without leading zeros; gaps are tolerated
// (the elements keep their relative order), as botocore and the Go SDK
// always send 1..N and AWS accepts gaps. Non-numeric children are errors.
func indexed(n *paramNode, wire string) ([]*paramNode, error) {
	if len(n.children) > maxListLen {
		return nil, inputErr("parameter %s has more than %d elements", wire, maxListLen)
	}
	type item struct {
		i int
		n *paramNode
	}
	items := make([]item, 0, len(n.children))
	for k, c := range n.children {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 || i > maxListIndex || k[0] == '0' || k[0] == '+' {
			return nil, inputErr("invalid list index %q in parameter %s", truncate(k), wire)
		}
		items = append(items, item{i, c})
	}
	sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
	out := make([]*paramNode, len(items))
	for i, it := range items {
		out[i] = it.n
	}
	return out, nil
}

func (d *queryDecoder) decodeList(v reflect.Value, n *paramNode, f *fieldPlan, wire, msgPath string) error {
	list := n
	if !d.ec2 && !f.flat {
		list = n.child(f.member)
		wire = join(wire, f.member)
		msgPath = join(msgPath, f.member)
	}
	if list == nil || len(list.children) == 0 {
		// "Name=" is how the query serializers send an empty list.
		if s, ok := n.leaf(); ok && s == "" {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return nil
		}
		return inputErr("parameter %s must be a list (%s.1, %s.2, ...)", wire, wire, wire)
	}
	elems, err := indexed(list, wire)
	if err != nil {
		return err
	}
	out := reflect.MakeSlice(v.Type(), len(elems), len(elems))
	for i, e := range elems {
		idx := strconv.Itoa(i + 1)
		if err := d.decodeValue(out.Index(i), e, f, join(wire, idx), join(msgPath, idx)); err != nil {
			return err
		}
	}
	v.Set(out)
	return nil
}

func (d *queryDecoder) decodeMap(v reflect.Value, n *paramNode, f *fieldPlan, wire, msgPath string) error {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		return inputErr("internal: map key of %s must be a string", wire)
	}
	entries := n
	if !f.flat {
		entries = n.child("entry")
		wire = join(wire, "entry")
	}
	if entries == nil || len(entries.children) == 0 {
		if s, ok := n.leaf(); ok && s == "" {
			v.Set(reflect.MakeMap(t))
			return nil
		}
		return inputErr("parameter %s must be a map (%s.1.%s, %s.1.%s, ...)", wire, wire, f.key, wire, f.value)
	}
	elems, err := indexed(entries, wire)
	if err != nil {
		return err
	}
	out := reflect.MakeMapWithSize(t, len(elems))
	for i, e := range elems {
		ew := join(wire, strconv.Itoa(i+1))
		k, ok := e.child(f.key).leaf()
		if !ok {
			return inputErr("parameter %s.%s is required", ew, f.key)
		}
		kv := reflect.New(t.Key()).Elem()
		kv.SetString(k)
		if out.MapIndex(kv).IsValid() {
			return inputErr("duplicate map key %q in parameter %s", truncate(k), wire)
		}
		val := e.child(f.value)
		ev := reflect.New(t.Elem()).Elem()
		if val == nil {
			return inputErr("parameter %s.%s is required", ew, f.value)
		}
		if err := d.decodeValue(ev, val, f, join(ew, f.value), join(msgPath, strings.ToLower(k))); err != nil {
			return err
		}
		out.SetMapIndex(kv, ev)
	}
	v.Set(out)
	return nil
}
