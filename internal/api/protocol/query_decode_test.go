package protocol

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

type qTag struct {
	Key   string `query:"Key,required"`
	Value string
}

type qNested struct {
	Arn   string `query:"arn"`
	Count *int64
}

type qShape struct {
	Name      string  `query:"UserName,required"`
	Enabled   *bool   `query:"Enabled"`
	Max       int32   `query:"MaxItems"`
	Big       int64   `query:"Big"`
	Ratio     float64 `query:"Ratio"`
	OptRatio  *float64
	When      *Time              `query:"When"`
	WhenStd   time.Time          `query:"WhenStd"`
	Blob      []byte             `query:"Blob"`
	Tags      []qTag             `query:"Tags"`
	Flat      []string           `query:"Flat,flat"`
	Items     []string           `query:"Items,member=Item"`
	Attrs     map[string]string  `query:"Attrs"`
	KV        map[string]string  `query:"KV,flat,key=Name,value=Val"`
	Nested    qNested            `query:"Nested"`
	NestedPtr *qNested           `query:"NestedPtr"`
	NestedL   []qNested          `query:"NestedList"`
	Obj       map[string]qNested `query:"Obj"`
	Skip      string             `query:"-"`
	unexp     string
}

type ec2Filter struct {
	Name   string
	Values []string `query:"Value"`
}

type ec2Shape struct {
	InstanceIDs []string    `query:"InstanceId,required"`
	Filters     []ec2Filter `query:"Filter"`
	DryRun      bool
}

func decodeQ(t *testing.T, form string, v any, ec2 bool) error {
	t.Helper()
	var c shapeCache
	root, err := parseParams(form)
	if err != nil {
		return err
	}
	return c.decodeQuery(root, v, ec2)
}

func TestQueryDecode(t *testing.T) {
	when := time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)
	tests := []struct {
		name string
		form string
		want func(*qShape) bool
	}{
		{"scalars", "UserName=al%20ice&Enabled=true&MaxItems=-5&Big=9007199254740993&Ratio=1.5&OptRatio=2",
			func(s *qShape) bool {
				return s.Name == "al ice" && *s.Enabled && s.Max == -5 && s.Big == 9007199254740993 && s.Ratio == 1.5 && *s.OptRatio == 2
			}},
		{"plus is space", "UserName=a+b", func(s *qShape) bool { return s.Name == "a b" }},
		{"empty string value", "UserName=", func(s *qShape) bool { return s.Name == "" }},
		{"timestamps", "UserName=x&When=2024-01-02T03:04:05.678Z&WhenStd=2024-01-02T04:04:05.678%2B01:00",
			func(s *qShape) bool { return s.When.Equal(when) && s.WhenStd.Equal(when) }},
		{"timestamp epoch", "UserName=x&When=1704164645.678", func(s *qShape) bool { return s.When.Equal(when) }},
		{"blob", "UserName=x&Blob=aGk%3D", func(s *qShape) bool { return string(s.Blob) == "hi" }},
		{"member list of structs", "UserName=x&Tags.member.1.Key=k1&Tags.member.1.Value=v1&Tags.member.2.Key=k2",
			func(s *qShape) bool {
				return reflect.DeepEqual(s.Tags, []qTag{{"k1", "v1"}, {"k2", ""}})
			}},
		{"empty list", "UserName=x&Tags=", func(s *qShape) bool { return s.Tags != nil && len(s.Tags) == 0 }},
		{"flat list", "UserName=x&Flat.1=a&Flat.2=b", func(s *qShape) bool { return reflect.DeepEqual(s.Flat, []string{"a", "b"}) }},
		{"custom member name", "UserName=x&Items.Item.1=a&Items.Item.2=b", func(s *qShape) bool { return reflect.DeepEqual(s.Items, []string{"a", "b"}) }},
		{"list gaps keep order", "UserName=x&Flat.3=c&Flat.10=d&Flat.1=a", func(s *qShape) bool { return reflect.DeepEqual(s.Flat, []string{"a", "c", "d"}) }},
		{"map", "UserName=x&Attrs.entry.1.key=a&Attrs.entry.1.value=1&Attrs.entry.2.key=b&Attrs.entry.2.value=2",
			func(s *qShape) bool { return reflect.DeepEqual(s.Attrs, map[string]string{"a": "1", "b": "2"}) }},
		{"flat map custom names", "UserName=x&KV.1.Name=a&KV.1.Val=1", func(s *qShape) bool { return reflect.DeepEqual(s.KV, map[string]string{"a": "1"}) }},
		{"map of structs", "UserName=x&Obj.entry.1.key=a&Obj.entry.1.value.arn=z",
			func(s *qShape) bool { return s.Obj["a"].Arn == "z" }},
		{"nested", "UserName=x&Nested.arn=a1&Nested.Count=3&NestedPtr.arn=a2",
			func(s *qShape) bool { return s.Nested.Arn == "a1" && *s.Nested.Count == 3 && s.NestedPtr.Arn == "a2" }},
		{"nested list", "UserName=x&NestedList.member.1.arn=a&NestedList.member.2.arn=b",
			func(s *qShape) bool { return len(s.NestedL) == 2 && s.NestedL[1].Arn == "b" }},
		{"absent optional stays nil", "UserName=x", func(s *qShape) bool {
			return s.Enabled == nil && s.Tags == nil && s.NestedPtr == nil && s.Attrs == nil
		}},
		{"unknown and skipped params ignored", "UserName=x&Bogus=1&Skip=z&unexp=q&Nested.zzz=1",
			func(s *qShape) bool { return s.Skip == "" && s.unexp == "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s qShape
			if err := decodeQ(t, tt.form, &s, false); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !tt.want(&s) {
				t.Fatalf("unexpected result %+v", s)
			}
		})
	}
}

func TestQueryDecodeRejects(t *testing.T) {
	tests := []struct {
		name, form, wantMsg string
		missing             []string
	}{
		{"missing required", "Enabled=true", "", []string{"userName"}},
		{"missing nested required", "UserName=x&Tags.member.1.Value=v", "", []string{"tags.member.1.key"}},
		{"bad bool", "UserName=x&Enabled=yes", "must be true or false", nil},
		{"bad int", "UserName=x&MaxItems=1x", "must be an integer", nil},
		{"int overflow", "UserName=x&MaxItems=2147483648", "must be an integer", nil},
		{"bad float", "UserName=x&Ratio=abc", "must be a number", nil},
		{"bad timestamp", "UserName=x&When=yesterday", "invalid timestamp", nil},
		{"bad base64", "UserName=x&Blob=%%%", "bad escape", nil},
		{"bad base64 data", "UserName=x&Blob=!!", "invalid base64", nil},
		{"duplicate key", "UserName=x&UserName=y", "appears more than once", nil},
		{"bad escape", "UserName=%zz", "bad escape", nil},
		{"invalid utf8", "UserName=%ff", "valid UTF-8", nil},
		{"invalid utf8 key", "User%ffName=x", "valid UTF-8", nil},
		{"semicolon", "UserName=x;y=z", "';'", nil},
		{"empty key", "=x", "empty parameter name", nil},
		{"empty segment", "UserName=x&Tags..1=a", "malformed parameter name", nil},
		{"index zero", "UserName=x&Flat.0=a", "invalid list index", nil},
		{"index leading zero", "UserName=x&Flat.01=a", "invalid list index", nil},
		{"index not numeric", "UserName=x&Flat.a=a", "invalid list index", nil},
		{"index too big", "UserName=x&Flat.99999999999=a", "invalid list index", nil},
		{"scalar given children", "UserName.a=x", "must be a single value", nil},
		{"list given scalar", "UserName=x&Tags=abc", "must be a list", nil},
		{"map missing key", "UserName=x&Attrs.entry.1.value=1", "Attrs.entry.1.key is required", nil},
		{"map missing value", "UserName=x&Attrs.entry.1.key=a", "Attrs.entry.1.value is required", nil},
		{"map duplicate key", "UserName=x&Attrs.entry.1.key=a&Attrs.entry.1.value=1&Attrs.entry.2.key=a&Attrs.entry.2.value=2", "duplicate map key", nil},
		{"too deep", "UserName=x&" + strings.Repeat("a.", 40) + "b=1", "nested deeper", nil},
		{"key too long", "UserName=x&" + strings.Repeat("k", 600) + "=1", "longer than", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s qShape
			err := decodeQ(t, tt.form, &s, false)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want *InputError", err)
			}
			if tt.missing != nil {
				if !reflect.DeepEqual(ie.Missing, tt.missing) {
					t.Fatalf("missing = %v, want %v", ie.Missing, tt.missing)
				}
				return
			}
			if !strings.Contains(ie.Msg, tt.wantMsg) {
				t.Fatalf("msg = %q, want it to contain %q", ie.Msg, tt.wantMsg)
			}
		})
	}
}

func TestQueryDecodeListCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("UserName=x")
	for i := 1; i <= maxListLen+1; i++ {
		b.WriteString("&Flat.")
		b.WriteString(strconv.Itoa(i))
		b.WriteString("=v")
	}
	var s qShape
	err := decodeQ(t, b.String(), &s, false)
	if err == nil || !strings.Contains(err.Error(), "more than 1000 elements") {
		t.Fatalf("err = %v", err)
	}
}

func TestEC2QueryDecode(t *testing.T) {
	var s ec2Shape
	form := "InstanceId.1=i-1&InstanceId.2=i-2&Filter.1.Name=tag%3AName&Filter.1.Value.1=a&Filter.1.Value.2=b&Filter.2.Name=x&DryRun=true"
	if err := decodeQ(t, form, &s, true); err != nil {
		t.Fatal(err)
	}
	want := ec2Shape{InstanceIDs: []string{"i-1", "i-2"}, Filters: []ec2Filter{{"tag:Name", []string{"a", "b"}}, {"x", nil}}, DryRun: true}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("got %+v", s)
	}
	// EC2 names lists Name.N: the query ".member." form is not recognised.
	s = ec2Shape{}
	err := decodeQ(t, "InstanceId.member.1=i-1", &s, true)
	if err == nil || !strings.Contains(err.Error(), "invalid list index") {
		t.Fatalf("err = %v", err)
	}
	// Missing required members are reported by wire name for MissingParameter.
	err = decodeQ(t, "DryRun=false", &ec2Shape{}, true)
	var ie *InputError
	if !errors.As(err, &ie) || !reflect.DeepEqual(ie.Missing, []string{"InstanceId"}) {
		t.Fatalf("err = %v", err)
	}
}

func TestBuildPlanRejectsUnknownOption(t *testing.T) {
	type bad struct {
		A string `query:"A,requird"`
	}
	if _, err := buildPlan(reflect.TypeFor[bad]()); err == nil {
		t.Fatal("want error for misspelt tag option")
	}
}

type embeddedBase struct {
	Names  []string `query:"Names"`
	Marker *string  `query:"Marker"`
	Needed string   `query:",required"`
}

type embeddingShape struct {
	Source string `query:"Source,required"`
	embeddedBase
}

// Embedded structs' members decode as the outer shape's own.
func TestQueryDecodeEmbedded(t *testing.T) {
	var v embeddingShape
	if err := decodeQ(t, "Source=s&Names.member.1=a&Names.member.2=b&Marker=m&Needed=n", &v, false); err != nil {
		t.Fatal(err)
	}
	if v.Source != "s" || len(v.Names) != 2 || v.Names[1] != "b" || v.Marker == nil || *v.Marker != "m" || v.Needed != "n" {
		t.Fatalf("decoded %+v", v)
	}
	var missing embeddingShape
	err := decodeQ(t, "Source=s", &missing, false)
	if err == nil || !strings.Contains(err.Error(), "needed") {
		t.Fatalf("a required member of the embedded struct must be enforced: %v", err)
	}
}
