package lifecycle

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf16"
)

// Limits S3 places on a configuration.
const (
	MaxRules                   = 1000
	MaxIDLength                = 255  // UTF-16 code units
	MaxPrefixLength            = 1024 // bytes, the longest key
	MaxTagKeyLength            = 128  // UTF-16 code units
	MaxTagValueLength          = 256  // UTF-16 code units
	MaxObjectSize              = 1099511627776000
	MaxNewerNoncurrentVersions = 100
	// minInfrequentAccessDays is the least age at which S3 moves an object
	// to an infrequent-access class, and the least time it keeps one there
	// before a colder class.
	minInfrequentAccessDays = 30
)

// Storage classes: the three nimbus stores objects in, warmest first, and
// the transition targets S3 has that nimbus does not.
const (
	Standard           = "STANDARD"
	StandardIA         = "STANDARD_IA"
	GlacierIR          = "GLACIER_IR"
	Glacier            = "GLACIER"
	DeepArchive        = "DEEP_ARCHIVE"
	IntelligentTiering = "INTELLIGENT_TIERING"
	OneZoneIA          = "ONEZONE_IA"
)

// day is a calendar day, the unit of every configured age.
const day = 24 * time.Hour

// awsTransitionClass reports whether S3 defines class as a transition
// target (its TransitionStorageClass enumeration).
func awsTransitionClass(class string) bool {
	switch class {
	case StandardIA, GlacierIR, Glacier, DeepArchive, IntelligentTiering, OneZoneIA:
		return true
	}
	return false
}

// supportedClass reports whether nimbus can move objects to class.
func supportedClass(class string) bool {
	return class == StandardIA || class == GlacierIR
}

// infrequentAccess reports whether S3 requires 30 days before moving an
// object to class.
func infrequentAccess(class string) bool {
	return class == StandardIA || class == OneZoneIA
}

func tooManyRules() *Error {
	return invalidRequest(fmt.Sprintf("The number of lifecycle rules must not exceed the allowed limit of %d rules.", MaxRules))
}

// Validate applies S3's rules to the configuration and returns the first
// violation as an *Error, checking in this order: the number of rules; rule
// IDs; each rule in turn (status, scope, filter, actions, transitions); in
// a V1 configuration, overlapping prefixes; and last, transitions to
// storage classes S3 has but nimbus does not, so that a configuration S3
// itself would refuse is refused as S3 refuses it. A rule with an empty ID
// is valid (Parse gives it one).
func (c *Configuration) Validate() error {
	if len(c.Rules) == 0 {
		return invalidRequest("At least one lifecycle rule must be specified.")
	}
	if len(c.Rules) > MaxRules {
		return tooManyRules()
	}
	ids := make(map[string]bool, len(c.Rules))
	for _, r := range c.Rules {
		if r.ID == "" {
			continue
		}
		if utf16Len(r.ID) > MaxIDLength {
			return invalidArgument(fmt.Sprintf("ID length should not exceed allowed limit of %d", MaxIDLength))
		}
		if ids[r.ID] {
			return invalidArgument("Rule ID must be unique. Found same ID for more than one rule")
		}
		ids[r.ID] = true
	}
	// A configuration is V2 when its first rule has a Filter, V1 when it
	// has a rule-level Prefix; S3 refuses a mixture.
	v2 := c.Rules[0].Filter != nil
	for i := range c.Rules {
		if err := checkRule(&c.Rules[i], v2); err != nil {
			return err
		}
	}
	if !v2 {
		if err := checkOverlap(c.Rules); err != nil {
			return err
		}
	}
	for _, r := range c.Rules {
		for _, t := range r.Transitions {
			if !supportedClass(t.StorageClass) {
				return unsupportedClass(t.StorageClass)
			}
		}
		for _, t := range r.NoncurrentVersionTransitions {
			if !supportedClass(t.StorageClass) {
				return unsupportedClass(t.StorageClass)
			}
		}
	}
	return nil
}

func unsupportedClass(class string) *Error {
	return &Error{Code: CodeInvalidStorageClass, Status: http.StatusBadRequest,
		Message: fmt.Sprintf("The storage class you specified is not valid: %s is not supported in this region; use %s or %s", class, StandardIA, GlacierIR)}
}

func checkRule(r *Rule, v2 bool) error {
	if r.Status != Enabled && r.Status != Disabled {
		return malformed(fmt.Sprintf("Status %q", r.Status))
	}
	switch {
	case r.Filter != nil && r.Prefix != nil:
		return malformed("<Rule> with both <Filter> and <Prefix>")
	case r.Filter == nil && r.Prefix == nil:
		return malformed("<Rule> with neither <Filter> nor <Prefix>")
	case r.Prefix != nil && v2:
		return invalidRequest("Base level prefix cannot be used in Lifecycle V2, prefixes are only supported in the Filter.")
	case r.Filter != nil && !v2:
		return invalidRequest("Filter element can only be used in Lifecycle V2.")
	}
	if r.Prefix != nil {
		if err := checkPrefix(*r.Prefix); err != nil {
			return err
		}
	} else if err := checkFilter(r.Filter); err != nil {
		return err
	}
	if r.Expiration == nil && len(r.Transitions) == 0 && r.NoncurrentVersionExpiration == nil &&
		len(r.NoncurrentVersionTransitions) == 0 && r.AbortIncompleteMultipartUpload == nil {
		return invalidRequest("At least one action needs to be specified in a rule")
	}
	if err := checkExpiration(r.Expiration); err != nil {
		return err
	}
	if x := r.NoncurrentVersionExpiration; x != nil {
		if x.NoncurrentDays <= 0 {
			return invalidArgument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
		}
		if err := checkNewer(x.NewerNoncurrentVersions, v2); err != nil {
			return err
		}
	}
	if a := r.AbortIncompleteMultipartUpload; a != nil && a.DaysAfterInitiation <= 0 {
		return invalidArgument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
	}
	tags, sizes := r.usesTags(), r.usesSizes()
	if r.Expiration != nil && r.Expiration.ExpiredObjectDeleteMarker != nil {
		if tags {
			return invalidRequest("ExpiredObjectDeleteMarker cannot be specified with Tags.")
		}
		if sizes {
			return invalidRequest("ExpiredObjectDeleteMarker cannot be specified with Object Size.")
		}
	}
	if r.AbortIncompleteMultipartUpload != nil {
		if tags {
			return invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags.")
		}
		if sizes {
			return invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Object Size.")
		}
	}
	if err := checkTransitions(r); err != nil {
		return err
	}
	return checkNoncurrentTransitions(r, v2)
}

func checkPrefix(p string) error {
	if len(p) > MaxPrefixLength {
		return invalidArgument(fmt.Sprintf("The maximum size of a prefix is %d.", MaxPrefixLength))
	}
	return nil
}

// checkFilter: exactly one predicate, or none; And holds at least one.
// S3's documentation has And combine "two or more" predicates; a single
// one is accepted here, as it means the same as that predicate alone.
func checkFilter(f *Filter) error {
	n := 0
	for _, set := range []bool{f.Prefix != nil, f.Tag != nil, f.ObjectSizeGreaterThan != nil, f.ObjectSizeLessThan != nil, f.And != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return malformed("<Filter> with more than one predicate outside <And>")
	}
	if f.Prefix != nil {
		return checkPrefix(*f.Prefix)
	}
	if f.Tag != nil {
		return checkTags([]Tag{*f.Tag})
	}
	if f.ObjectSizeGreaterThan != nil || f.ObjectSizeLessThan != nil {
		return checkSizes(f.ObjectSizeGreaterThan, f.ObjectSizeLessThan)
	}
	a := f.And
	if a == nil {
		return nil
	}
	if a.Prefix == nil && len(a.Tags) == 0 && a.ObjectSizeGreaterThan == nil && a.ObjectSizeLessThan == nil {
		return malformed("empty <And>")
	}
	if a.Prefix != nil {
		if err := checkPrefix(*a.Prefix); err != nil {
			return err
		}
	}
	if err := checkTags(a.Tags); err != nil {
		return err
	}
	return checkSizes(a.ObjectSizeGreaterThan, a.ObjectSizeLessThan)
}

func checkTags(tags []Tag) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		switch {
		case t.Key == "":
			return invalidArgument("The TagKey you have provided is invalid")
		case utf16Len(t.Key) > MaxTagKeyLength:
			return invalidArgument(fmt.Sprintf("The TagKey you have provided is too long, max %d", MaxTagKeyLength))
		case utf16Len(t.Value) > MaxTagValueLength:
			return invalidArgument(fmt.Sprintf("The TagValue you have provided is too long, max %d", MaxTagValueLength))
		case seen[t.Key]:
			return invalidRequest("Duplicate Tag Keys are not allowed.")
		}
		seen[t.Key] = true
	}
	return nil
}

func checkSizes(gt, lt *int64) error {
	if gt != nil && (*gt < 0 || *gt > MaxObjectSize) {
		return invalidRequest(fmt.Sprintf("'ObjectSizeGreaterThan' should be between 0 and %d.", int64(MaxObjectSize)))
	}
	if lt != nil && (*lt < 1 || *lt > MaxObjectSize) {
		return invalidRequest(fmt.Sprintf("'ObjectSizeLessThan' should be between 1 and %d.", int64(MaxObjectSize)))
	}
	if gt != nil && lt != nil && *lt <= *gt {
		return invalidRequest("'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.")
	}
	return nil
}

func checkExpiration(e *Expiration) error {
	if e == nil {
		return nil
	}
	switch {
	case e.Days == nil && e.Date == nil && e.ExpiredObjectDeleteMarker == nil:
		return malformed("empty <Expiration>")
	case e.ExpiredObjectDeleteMarker != nil && (e.Days != nil || e.Date != nil):
		return invalidArgument("ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy.")
	case e.Days != nil && e.Date != nil:
		return malformed("<Expiration> with both <Days> and <Date>")
	case e.Days != nil && *e.Days <= 0:
		return invalidArgument("'Days' for Expiration action must be a positive integer")
	case e.Date != nil && !midnight(*e.Date):
		return invalidArgument("'Date' must be at midnight GMT")
	}
	return nil
}

// checkNewer checks a NewerNoncurrentVersions, which S3 allows only in V2.
func checkNewer(n *int, v2 bool) error {
	switch {
	case n == nil:
		return nil
	case !v2:
		return invalidRequest("NewerNoncurrentVersions element can only be used in Lifecycle V2.")
	case *n <= 0:
		return invalidArgument("'NewerNoncurrentVersions' must be a positive integer")
	case *n > MaxNewerNoncurrentVersions:
		return invalidArgument(fmt.Sprintf("'NewerNoncurrentVersions' must not exceed %d", MaxNewerNoncurrentVersions))
	}
	return nil
}

func midnight(t time.Time) bool {
	return t.Equal(t.Truncate(day)) // Truncate works on absolute time: midnight UTC
}

// checkTransitions checks a rule's Transitions against each other and its
// Expiration: each a Days (0 or more; 30 or more to an infrequent-access
// class) or a Date, to a storage class S3 defines, no class twice, no
// mixture of Days and Dates across Expiration and Transitions, GLACIER_IR
// at least 30 days after STANDARD_IA, and Expiration after every
// Transition.
func checkTransitions(r *Rule) error {
	dated := r.Expiration != nil && r.Expiration.Date != nil
	counted := r.Expiration != nil && r.Expiration.Days != nil
	classes := make(map[string]Transition, len(r.Transitions))
	for _, t := range r.Transitions {
		if !awsTransitionClass(t.StorageClass) {
			return malformed(fmt.Sprintf("Transition StorageClass %q", t.StorageClass))
		}
		switch {
		case (t.Days == nil) == (t.Date == nil):
			return malformed("<Transition> needs exactly one of <Days> and <Date>")
		case t.Date != nil && !midnight(*t.Date):
			return invalidArgument("'Date' must be at midnight GMT")
		case t.Days != nil && *t.Days < 0:
			return invalidArgument("'Days' for Transition action must be a nonnegative integer")
		case t.Days != nil && *t.Days < minInfrequentAccessDays && infrequentAccess(t.StorageClass):
			return invalidArgument(fmt.Sprintf("'Days' in Transition action must be greater than or equal to %d for storageClass '%s'", minInfrequentAccessDays, t.StorageClass))
		}
		dated = dated || t.Date != nil
		counted = counted || t.Days != nil
		if _, dup := classes[t.StorageClass]; dup {
			return invalidRequest("'StorageClass' must be different for 'Transition' actions in same 'Rule'")
		}
		classes[t.StorageClass] = t
	}
	if dated && counted {
		return invalidRequest("Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule")
	}
	desc := filterDesc(r)
	ia, okIA := classes[StandardIA]
	ir, okIR := classes[GlacierIR]
	if okIA && okIR {
		if (ia.Days != nil && *ir.Days < *ia.Days+minInfrequentAccessDays) ||
			(ia.Date != nil && ir.Date.Before(ia.Date.AddDate(0, 0, minInfrequentAccessDays))) {
			what := map[bool]string{true: "Days", false: "Date"}[ia.Days != nil]
			return invalidArgument(fmt.Sprintf("'%s' in the Transition action for StorageClass '%s' for filter '%s' must be %d days more than '%s' in the Transition action for StorageClass '%s'",
				what, GlacierIR, desc, minInfrequentAccessDays, what, StandardIA))
		}
	}
	if e := r.Expiration; e != nil {
		for _, t := range r.Transitions {
			if e.Days != nil && *e.Days <= *t.Days {
				return invalidArgument(fmt.Sprintf("'Days' in the Expiration action for filter '%s' must be greater than 'Days' in the Transition action", desc))
			}
			if e.Date != nil && !e.Date.After(*t.Date) {
				return invalidArgument(fmt.Sprintf("'Date' in the Expiration action for filter '%s' must be later than 'Date' in the Transition action", desc))
			}
		}
	}
	return nil
}

// checkNoncurrentTransitions is checkTransitions for noncurrent versions,
// with NoncurrentDays in place of Days and NoncurrentVersionExpiration in
// place of Expiration.
func checkNoncurrentTransitions(r *Rule, v2 bool) error {
	days := make(map[string]int, len(r.NoncurrentVersionTransitions))
	for _, t := range r.NoncurrentVersionTransitions {
		if !awsTransitionClass(t.StorageClass) {
			return malformed(fmt.Sprintf("NoncurrentVersionTransition StorageClass %q", t.StorageClass))
		}
		switch {
		case t.NoncurrentDays < 0:
			return invalidArgument("'NoncurrentDays' for NoncurrentVersionTransition action must be a nonnegative integer")
		case t.NoncurrentDays < minInfrequentAccessDays && infrequentAccess(t.StorageClass):
			return invalidArgument(fmt.Sprintf("'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to %d for storageClass '%s'", minInfrequentAccessDays, t.StorageClass))
		}
		if err := checkNewer(t.NewerNoncurrentVersions, v2); err != nil {
			return err
		}
		if _, dup := days[t.StorageClass]; dup {
			return invalidRequest("'StorageClass' must be different for 'NoncurrentVersionTransition' actions in same 'Rule'")
		}
		days[t.StorageClass] = t.NoncurrentDays
	}
	desc := filterDesc(r)
	ia, okIA := days[StandardIA]
	ir, okIR := days[GlacierIR]
	if okIA && okIR && ir < ia+minInfrequentAccessDays {
		return invalidArgument(fmt.Sprintf("'NoncurrentDays' in the NoncurrentVersionTransition action for StorageClass '%s' for filter '%s' must be %d days more than 'NoncurrentDays' in the NoncurrentVersionTransition action for StorageClass '%s'",
			GlacierIR, desc, minInfrequentAccessDays, StandardIA))
	}
	if x := r.NoncurrentVersionExpiration; x != nil {
		for _, t := range r.NoncurrentVersionTransitions {
			if x.NoncurrentDays <= t.NoncurrentDays {
				return invalidArgument(fmt.Sprintf("'NoncurrentDays' in the NoncurrentVersionExpiration action for filter '%s' must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action", desc))
			}
		}
	}
	return nil
}

// checkOverlap refuses, in a V1 configuration, two rules whose prefixes
// overlap (one begins the other) taking the same kind of action, as S3
// does.
func checkOverlap(rules []Rule) error {
	kinds := []struct {
		name  string
		takes func(r *Rule) bool
	}{
		{"Expiration", func(r *Rule) bool { return r.Expiration != nil }},
		{"Transition", func(r *Rule) bool { return len(r.Transitions) > 0 }},
		{"NoncurrentVersionTransition", func(r *Rule) bool { return len(r.NoncurrentVersionTransitions) > 0 }},
		{"NoncurrentVersionExpiration", func(r *Rule) bool { return r.NoncurrentVersionExpiration != nil }},
		{"AbortIncompleteMultipartUpload", func(r *Rule) bool { return r.AbortIncompleteMultipartUpload != nil }},
	}
	for _, k := range kinds {
		var prefixes []string
		for i := range rules {
			if r := &rules[i]; r.Prefix != nil && k.takes(r) {
				prefixes = append(prefixes, *r.Prefix)
			}
		}
		// Sorted, a prefix that begins another begins its successor.
		sort.Strings(prefixes)
		for i := 1; i < len(prefixes); i++ {
			if strings.HasPrefix(prefixes[i], prefixes[i-1]) {
				return invalidRequest(fmt.Sprintf("Found overlapping prefixes '%s' and '%s' for same action type '%s'", prefixes[i-1], prefixes[i], k.name))
			}
		}
	}
	return nil
}

// filterDesc describes a rule's filter in S3's messages by its prefix.
func filterDesc(r *Rule) string {
	p := r.Prefix
	if f := r.Filter; f != nil {
		p = f.Prefix
		if f.And != nil {
			p = f.And.Prefix
		}
	}
	if p == nil {
		return "(prefix=)"
	}
	return "(prefix=" + *p + ")"
}

func (r *Rule) usesTags() bool {
	f := r.Filter
	return f != nil && (f.Tag != nil || f.And != nil && len(f.And.Tags) > 0)
}

func (r *Rule) usesSizes() bool {
	f := r.Filter
	if f == nil {
		return false
	}
	if f.ObjectSizeGreaterThan != nil || f.ObjectSizeLessThan != nil {
		return true
	}
	return f.And != nil && (f.And.ObjectSizeGreaterThan != nil || f.And.ObjectSizeLessThan != nil)
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
