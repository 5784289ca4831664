package lifecycle

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Namespace is the XML namespace of S3's API documents.
const Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// MaxBodySize is the largest document Parse reads. S3 documents no limit
// for lifecycle configurations; 1,000 rules of ordinary size fit in well
// under a megabyte. The API layer should cap the request body at this size
// before reading it.
const MaxBodySize = 2 << 20

// maxDepth is the deepest element nesting a valid document has:
// LifecycleConfiguration > Rule > Filter > And > Tag > Key.
const maxDepth = 6

// dateLayout is how GetBucketLifecycleConfiguration writes a Date.
const dateLayout = "2006-01-02T15:04:05.000Z"

// Status says whether a rule is in effect.
type Status string

// The two statuses a rule may have.
const (
	Enabled  Status = "Enabled"
	Disabled Status = "Disabled"
)

// Configuration is a bucket's lifecycle configuration: its rules in the
// order given. Parse returns one that Validate accepts and whose every rule
// has an ID. It is not modified by this package after Parse and is safe for
// concurrent evaluation.
type Configuration struct {
	Rules []Rule
}

// Rule is one lifecycle rule. Exactly one of Filter and Prefix is set: the
// Filter of PutBucketLifecycleConfiguration ("Lifecycle V2"), or the
// rule-level Prefix of the deprecated PutBucketLifecycle ("V1").
// Optional elements are pointers or slices, nil when the element was
// absent, so that Marshal writes back exactly what was given.
type Rule struct {
	ID                             string
	Status                         Status
	Filter                         *Filter
	Prefix                         *string
	Expiration                     *Expiration
	Transitions                    []Transition
	NoncurrentVersionExpiration    *NoncurrentVersionExpiration
	NoncurrentVersionTransitions   []NoncurrentVersionTransition
	AbortIncompleteMultipartUpload *AbortIncompleteMultipartUpload
}

// Filter selects the objects a rule applies to: all of them when empty,
// else by exactly one predicate (And combines several).
type Filter struct {
	Prefix                *string
	Tag                   *Tag
	ObjectSizeGreaterThan *int64
	ObjectSizeLessThan    *int64
	And                   *And
}

// And is a filter's conjunction of predicates.
type And struct {
	Prefix                *string
	Tags                  []Tag
	ObjectSizeGreaterThan *int64
	ObjectSizeLessThan    *int64
}

// Tag is an object tag a filter requires, key and value exactly. A Tag
// given without a Value requires the empty value.
type Tag struct {
	Key   string
	Value string
}

// Expiration expires current versions Days after creation or from Date on,
// or (ExpiredObjectDeleteMarker) removes delete markers left alone.
type Expiration struct {
	Days                      *int
	Date                      *time.Time
	ExpiredObjectDeleteMarker *bool
}

// Transition moves current versions to StorageClass Days after creation or
// from Date on.
type Transition struct {
	Days         *int
	Date         *time.Time
	StorageClass string
}

// NoncurrentVersionExpiration deletes versions NoncurrentDays after they
// became noncurrent, keeping the NewerNoncurrentVersions newest noncurrent
// versions of a key whatever their age.
type NoncurrentVersionExpiration struct {
	NoncurrentDays          int
	NewerNoncurrentVersions *int
}

// NoncurrentVersionTransition moves noncurrent versions to StorageClass
// NoncurrentDays after they became noncurrent, sparing the
// NewerNoncurrentVersions newest.
type NoncurrentVersionTransition struct {
	NoncurrentDays          int
	NewerNoncurrentVersions *int
	StorageClass            string
}

// AbortIncompleteMultipartUpload aborts multipart uploads not completed
// DaysAfterInitiation days after they were initiated.
type AbortIncompleteMultipartUpload struct {
	DaysAfterInitiation int
}

// Parse reads a PutBucketLifecycleConfiguration body, validates it
// (Validate) and gives every rule without an ID (or with an empty one) a
// random one, as S3 does: the base64 of a random UUID, 48 characters. Every
// error is an *Error.
func Parse(body []byte) (*Configuration, error) {
	return ParseWithIDs(body, randomID)
}

// ParseWithIDs is Parse with newID making the IDs of rules given none. An
// ID newID returns that another rule already has is skipped; newID must
// eventually return a fresh one.
func ParseWithIDs(body []byte, newID func() string) (*Configuration, error) {
	if len(body) > MaxBodySize {
		return nil, malformed(fmt.Sprintf("document larger than %d bytes", MaxBodySize))
	}
	root, err := readTree(bytes.TrimPrefix(body, []byte("\uFEFF"))) // a UTF-8 byte order mark
	if err != nil {
		return nil, err
	}
	c, err := decodeConfiguration(root)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := c.assignIDs(newID); err != nil {
		return nil, err
	}
	return c, nil
}

// assignIDs gives each rule without an ID one from newID that no other rule
// has.
func (c *Configuration) assignIDs(newID func() string) error {
	taken := make(map[string]bool, len(c.Rules))
	for _, r := range c.Rules {
		taken[r.ID] = true
	}
	for i := range c.Rules {
		if c.Rules[i].ID != "" {
			continue
		}
		for tries := 0; ; tries++ {
			if tries == 100 {
				return &Error{Code: CodeInternalError, Status: http.StatusInternalServerError,
					Message: "We encountered an internal error. Please try again.", Detail: "rule ID generator returns only IDs in use"}
			}
			id := newID()
			if id != "" && !taken[id] {
				c.Rules[i].ID = id
				taken[id] = true
				break
			}
		}
	}
	return nil
}

// randomID is an ID as S3 makes them: the base64 of a version 4 UUID's
// text form.
func randomID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails (Go 1.24+)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	s := fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
	return base64.StdEncoding.EncodeToString([]byte(s))
}

// element is one XML element of a document: its local name (namespaces
// are ignored, as S3 accepts documents with or without its namespace), its
// child elements and its text.
type element struct {
	name     string
	children []*element
	text     strings.Builder
}

// readTree reads a document into elements, refusing what is not
// well-formed, nests deeper than any valid document, or has more than one
// root element, DTDs, or text outside elements.
func readTree(body []byte) (*element, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	var root *element
	var stack []*element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, malformed(err.Error())
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 && root != nil {
				return nil, malformed("more than one root element")
			}
			if len(stack) == maxDepth {
				return nil, malformed("elements nested too deep")
			}
			e := &element{name: t.Name.Local}
			if len(stack) == 0 {
				root = e
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, e)
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, malformed("text outside the root element")
				}
				continue
			}
			stack[len(stack)-1].text.Write(t)
		case xml.Directive:
			return nil, malformed("DTDs are not allowed")
		}
	}
	if root == nil {
		return nil, malformed("no root element")
	}
	return root, nil
}

// leaf is a simple element's text. An element with children is not one.
func leaf(e *element) (string, error) {
	if len(e.children) != 0 {
		return "", malformed(fmt.Sprintf("<%s> holds elements", e.name))
	}
	return e.text.String(), nil
}

// container checks that a complex element holds no text but white space.
func container(e *element) error {
	if strings.TrimSpace(e.text.String()) != "" {
		return malformed(fmt.Sprintf("<%s> holds text", e.name))
	}
	return nil
}

// children calls f for each child of e, refusing a repeated child unless
// repeatable names it, and unknown children (f returns errUnknown).
func children(e *element, repeatable map[string]bool, f func(c *element) error) error {
	if err := container(e); err != nil {
		return err
	}
	seen := make(map[string]bool, len(e.children))
	for _, c := range e.children {
		if seen[c.name] && !repeatable[c.name] {
			return malformed(fmt.Sprintf("<%s> repeated in <%s>", c.name, e.name))
		}
		seen[c.name] = true
		if err := f(c); err != nil {
			if errors.Is(err, errUnknown) {
				return malformed(fmt.Sprintf("unknown element <%s> in <%s>", c.name, e.name))
			}
			return err
		}
	}
	return nil
}

var errUnknown = errors.New("unknown element")

func leafString(c *element) (*string, error) {
	s, err := leaf(c)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// leafInt reads an xsd:int (S3's Integer), surrounding space allowed.
func leafInt(c *element) (int, error) {
	s, err := leaf(c)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, malformed(fmt.Sprintf("<%s> is not an integer", c.name))
	}
	return int(n), nil
}

func leafIntPtr(c *element) (*int, error) {
	n, err := leafInt(c)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// leafLong reads an xsd:long (S3's Long).
func leafLong(c *element) (*int64, error) {
	s, err := leaf(c)
	if err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return nil, malformed(fmt.Sprintf("<%s> is not an integer", c.name))
	}
	return &n, nil
}

func leafBool(c *element) (*bool, error) {
	s, err := leaf(c)
	if err != nil {
		return nil, err
	}
	var b bool
	switch strings.TrimSpace(s) {
	case "true", "1":
		b = true
	case "false", "0":
	default:
		return nil, malformed(fmt.Sprintf("<%s> is not a boolean", c.name))
	}
	return &b, nil
}

// dateLayouts are the ISO 8601 forms a Date may take; one without a zone
// is UTC.
var dateLayouts = [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"}

// leafDate reads a Date, in UTC. Whether it is a midnight is Validate's
// question.
func leafDate(c *element) (*time.Time, error) {
	s, err := leaf(c)
	if err != nil {
		return nil, err
	}
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, malformed(fmt.Sprintf("<%s> is not an ISO 8601 date", c.name))
}

func decodeConfiguration(root *element) (*Configuration, error) {
	if root.name != "LifecycleConfiguration" {
		return nil, malformed(fmt.Sprintf("root element <%s>, want <LifecycleConfiguration>", root.name))
	}
	c := &Configuration{}
	err := children(root, map[string]bool{"Rule": true}, func(e *element) error {
		if e.name != "Rule" {
			return errUnknown
		}
		if len(c.Rules) == MaxRules {
			// Counted here too, so that a huge document stops early.
			return tooManyRules()
		}
		r, err := decodeRule(e)
		if err != nil {
			return err
		}
		c.Rules = append(c.Rules, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func decodeRule(e *element) (Rule, error) {
	var r Rule
	var hasStatus bool
	repeatable := map[string]bool{"Transition": true, "NoncurrentVersionTransition": true}
	err := children(e, repeatable, func(c *element) (err error) {
		switch c.name {
		case "ID":
			var s *string
			s, err = leafString(c)
			if s != nil {
				r.ID = *s
			}
		case "Status":
			var s *string
			s, err = leafString(c)
			if s != nil {
				r.Status, hasStatus = Status(strings.TrimSpace(*s)), true
			}
		case "Prefix":
			r.Prefix, err = leafString(c)
		case "Filter":
			r.Filter, err = decodeFilter(c)
		case "Expiration":
			r.Expiration, err = decodeExpiration(c)
		case "Transition":
			var t Transition
			t, err = decodeTransition(c)
			r.Transitions = append(r.Transitions, t)
		case "NoncurrentVersionExpiration":
			r.NoncurrentVersionExpiration, err = decodeNoncurrentExpiration(c)
		case "NoncurrentVersionTransition":
			var t NoncurrentVersionTransition
			t, err = decodeNoncurrentTransition(c)
			r.NoncurrentVersionTransitions = append(r.NoncurrentVersionTransitions, t)
		case "AbortIncompleteMultipartUpload":
			r.AbortIncompleteMultipartUpload, err = decodeAbort(c)
		default:
			err = errUnknown
		}
		return err
	})
	if err != nil {
		return Rule{}, err
	}
	if !hasStatus {
		return Rule{}, malformed("<Rule> without <Status>")
	}
	return r, nil
}

func decodeFilter(e *element) (*Filter, error) {
	f := &Filter{}
	err := children(e, nil, func(c *element) (err error) {
		switch c.name {
		case "Prefix":
			f.Prefix, err = leafString(c)
		case "Tag":
			var t Tag
			t, err = decodeTag(c)
			f.Tag = &t
		case "ObjectSizeGreaterThan":
			f.ObjectSizeGreaterThan, err = leafLong(c)
		case "ObjectSizeLessThan":
			f.ObjectSizeLessThan, err = leafLong(c)
		case "And":
			f.And, err = decodeAnd(c)
		default:
			err = errUnknown
		}
		return err
	})
	return f, err
}

func decodeAnd(e *element) (*And, error) {
	a := &And{}
	err := children(e, map[string]bool{"Tag": true}, func(c *element) (err error) {
		switch c.name {
		case "Prefix":
			a.Prefix, err = leafString(c)
		case "Tag":
			var t Tag
			t, err = decodeTag(c)
			a.Tags = append(a.Tags, t)
		case "ObjectSizeGreaterThan":
			a.ObjectSizeGreaterThan, err = leafLong(c)
		case "ObjectSizeLessThan":
			a.ObjectSizeLessThan, err = leafLong(c)
		default:
			err = errUnknown
		}
		return err
	})
	return a, err
}

func decodeTag(e *element) (Tag, error) {
	var t Tag
	var hasKey bool
	err := children(e, nil, func(c *element) error {
		s, err := leaf(c)
		switch c.name {
		case "Key":
			t.Key, hasKey = s, true
		case "Value":
			t.Value = s
		default:
			return errUnknown
		}
		return err
	})
	if err == nil && !hasKey {
		err = malformed("<Tag> without <Key>")
	}
	return t, err
}

func decodeExpiration(e *element) (*Expiration, error) {
	x := &Expiration{}
	err := children(e, nil, func(c *element) (err error) {
		switch c.name {
		case "Days":
			x.Days, err = leafIntPtr(c)
		case "Date":
			x.Date, err = leafDate(c)
		case "ExpiredObjectDeleteMarker":
			x.ExpiredObjectDeleteMarker, err = leafBool(c)
		default:
			err = errUnknown
		}
		return err
	})
	return x, err
}

func decodeTransition(e *element) (Transition, error) {
	var t Transition
	err := children(e, nil, func(c *element) (err error) {
		switch c.name {
		case "Days":
			t.Days, err = leafIntPtr(c)
		case "Date":
			t.Date, err = leafDate(c)
		case "StorageClass":
			var s string
			s, err = leaf(c)
			t.StorageClass = strings.TrimSpace(s)
		default:
			err = errUnknown
		}
		return err
	})
	return t, err
}

func decodeNoncurrentExpiration(e *element) (*NoncurrentVersionExpiration, error) {
	x := &NoncurrentVersionExpiration{}
	var hasDays bool
	err := children(e, nil, func(c *element) (err error) {
		switch c.name {
		case "NoncurrentDays":
			x.NoncurrentDays, err = leafInt(c)
			hasDays = true
		case "NewerNoncurrentVersions":
			x.NewerNoncurrentVersions, err = leafIntPtr(c)
		default:
			err = errUnknown
		}
		return err
	})
	if err == nil && !hasDays {
		err = malformed("<NoncurrentVersionExpiration> without <NoncurrentDays>")
	}
	return x, err
}

func decodeNoncurrentTransition(e *element) (NoncurrentVersionTransition, error) {
	var t NoncurrentVersionTransition
	var hasDays bool
	err := children(e, nil, func(c *element) (err error) {
		switch c.name {
		case "NoncurrentDays":
			t.NoncurrentDays, err = leafInt(c)
			hasDays = true
		case "NewerNoncurrentVersions":
			t.NewerNoncurrentVersions, err = leafIntPtr(c)
		case "StorageClass":
			var s string
			s, err = leaf(c)
			t.StorageClass = strings.TrimSpace(s)
		default:
			err = errUnknown
		}
		return err
	})
	if err == nil && !hasDays {
		err = malformed("<NoncurrentVersionTransition> without <NoncurrentDays>")
	}
	return t, err
}

func decodeAbort(e *element) (*AbortIncompleteMultipartUpload, error) {
	a := &AbortIncompleteMultipartUpload{}
	var hasDays bool
	err := children(e, nil, func(c *element) (err error) {
		if c.name != "DaysAfterInitiation" {
			return errUnknown
		}
		hasDays = true
		a.DaysAfterInitiation, err = leafInt(c)
		return err
	})
	if err == nil && !hasDays {
		err = malformed("<AbortIncompleteMultipartUpload> without <DaysAfterInitiation>")
	}
	return a, err
}

// Marshal writes the configuration as GetBucketLifecycleConfiguration
// returns it, without the XML declaration: every element that was given,
// in S3's order, and no other; an empty Filter as <Filter></Filter>; dates
// as 2006-01-02T15:04:05.000Z. Parse of the result gives back an equal
// Configuration.
func (c *Configuration) Marshal() ([]byte, error) {
	return xml.Marshal(c.toXML())
}

// The shapes Marshal writes.
type (
	xmlConfiguration struct {
		XMLName xml.Name  `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LifecycleConfiguration"`
		Rules   []xmlRule `xml:"Rule"`
	}
	xmlRule struct {
		ID                             string                          `xml:"ID,omitempty"`
		Filter                         *xmlFilter                      `xml:"Filter"`
		Prefix                         *string                         `xml:"Prefix"`
		Status                         Status                          `xml:"Status"`
		Expiration                     *xmlExpiration                  `xml:"Expiration"`
		Transitions                    []xmlTransition                 `xml:"Transition"`
		NoncurrentVersionTransitions   []NoncurrentVersionTransition   `xml:"NoncurrentVersionTransition"`
		NoncurrentVersionExpiration    *NoncurrentVersionExpiration    `xml:"NoncurrentVersionExpiration"`
		AbortIncompleteMultipartUpload *AbortIncompleteMultipartUpload `xml:"AbortIncompleteMultipartUpload"`
	}
	xmlFilter struct {
		Prefix                *string `xml:"Prefix"`
		Tag                   *Tag    `xml:"Tag"`
		ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan"`
		ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan"`
		And                   *xmlAnd `xml:"And"`
	}
	xmlAnd struct {
		Prefix                *string `xml:"Prefix"`
		Tags                  []Tag   `xml:"Tag"`
		ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan"`
		ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan"`
	}
	xmlExpiration struct {
		Date                      *string `xml:"Date"`
		Days                      *int    `xml:"Days"`
		ExpiredObjectDeleteMarker *bool   `xml:"ExpiredObjectDeleteMarker"`
	}
	xmlTransition struct {
		Date         *string `xml:"Date"`
		Days         *int    `xml:"Days"`
		StorageClass string  `xml:"StorageClass"`
	}
)

func (c *Configuration) toXML() xmlConfiguration {
	x := xmlConfiguration{Rules: make([]xmlRule, 0, len(c.Rules))}
	for _, r := range c.Rules {
		xr := xmlRule{
			ID:                             r.ID,
			Prefix:                         r.Prefix,
			Status:                         r.Status,
			NoncurrentVersionTransitions:   r.NoncurrentVersionTransitions,
			NoncurrentVersionExpiration:    r.NoncurrentVersionExpiration,
			AbortIncompleteMultipartUpload: r.AbortIncompleteMultipartUpload,
		}
		if f := r.Filter; f != nil {
			xr.Filter = &xmlFilter{Prefix: f.Prefix, Tag: f.Tag, ObjectSizeGreaterThan: f.ObjectSizeGreaterThan, ObjectSizeLessThan: f.ObjectSizeLessThan}
			if a := f.And; a != nil {
				xr.Filter.And = &xmlAnd{Prefix: a.Prefix, Tags: a.Tags, ObjectSizeGreaterThan: a.ObjectSizeGreaterThan, ObjectSizeLessThan: a.ObjectSizeLessThan}
			}
		}
		if e := r.Expiration; e != nil {
			xr.Expiration = &xmlExpiration{Date: formatDate(e.Date), Days: e.Days, ExpiredObjectDeleteMarker: e.ExpiredObjectDeleteMarker}
		}
		for _, t := range r.Transitions {
			xr.Transitions = append(xr.Transitions, xmlTransition{Date: formatDate(t.Date), Days: t.Days, StorageClass: t.StorageClass})
		}
		x.Rules = append(x.Rules, xr)
	}
	return x
}

func formatDate(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(dateLayout)
	return &s
}
