package lifecycle

import (
	"math"
	"strings"
	"time"
)

// Version is what evaluation needs to know of one version of an object (or
// of the only "version" of an object in an unversioned bucket).
type Version struct {
	Key  string
	Tags map[string]string
	Size int64
	// ModTime is when the version (or delete marker) was created.
	ModTime time.Time
	// IsLatest: the version is the current one of its key.
	IsLatest bool
	// DeleteMarker: the version is a delete marker. A delete marker has no
	// tags and size 0 whatever Tags and Size say.
	DeleteMarker bool
	// NoncurrentSince is when a noncurrent version became noncurrent (the
	// creation time of the version that succeeded it); zero if IsLatest.
	NoncurrentSince time.Time
	// NewerNoncurrent counts the noncurrent versions of the key newer than
	// this one.
	NewerNoncurrent int
	// OnlyVersion: for a delete marker, it is the only version of its key.
	OnlyVersion bool
	// StorageClass is the version's class; "" is STANDARD.
	StorageClass string
}

// ActionKind is what to do with a version.
type ActionKind uint8

// The actions of Evaluate.
const (
	// NoAction: nothing is due.
	NoAction ActionKind = iota
	// ExpireCurrent: the current version has expired. In a versioned
	// bucket the worker adds a delete marker; in an unversioned one it
	// deletes the object.
	ExpireCurrent
	// DeleteVersion: permanently delete this noncurrent version (or
	// noncurrent delete marker).
	DeleteVersion
	// RemoveDeleteMarker: permanently delete this delete marker, the only
	// version left of its key.
	RemoveDeleteMarker
	// TransitionCurrent: move the current version to Action.StorageClass.
	TransitionCurrent
	// TransitionNoncurrent: move this noncurrent version to
	// Action.StorageClass.
	TransitionNoncurrent
)

func (k ActionKind) String() string {
	switch k {
	case NoAction:
		return "none"
	case ExpireCurrent:
		return "expire-current"
	case DeleteVersion:
		return "delete-version"
	case RemoveDeleteMarker:
		return "remove-delete-marker"
	case TransitionCurrent:
		return "transition-current"
	case TransitionNoncurrent:
		return "transition-noncurrent"
	}
	return "unknown"
}

// Action is Evaluate's answer: what to do, to which class for a
// transition, and the ID of the rule that calls for it.
type Action struct {
	Kind         ActionKind
	StorageClass string
	RuleID       string
}

func (a Action) String() string {
	switch a.Kind {
	case NoAction:
		return "none"
	case TransitionCurrent, TransitionNoncurrent:
		return a.Kind.String() + " " + a.StorageClass + " rule=" + a.RuleID
	}
	return a.Kind.String() + " rule=" + a.RuleID
}

// Clock holds the length of the day in which rules count their Days.
// Operators never change it: a zero Clock is the real one, with 24-hour
// days starting at midnight UTC. It exists so that end-to-end tests can run
// lifecycle in seconds, with Day set to, say, one second: Days, DaysAfterInitiation
// and NoncurrentDays then count Days, rounded to multiples of Day since the
// Unix epoch. Dates in rules are not scaled.
type Clock struct {
	Day time.Duration
}

func (k Clock) day() time.Duration {
	if k.Day <= 0 {
		return day
	}
	return k.Day
}

// The Unix seconds whose UnixNano is defined (years 1678 to 2262).
const (
	minNanoSec = math.MinInt64/int64(time.Second) + 1
	maxNanoSec = math.MaxInt64/int64(time.Second) - 1
)

// Never is the Due of an action too far ahead to represent: no clock
// reaches it.
func Never() time.Time { return time.Unix(1<<62, 0).UTC() }

// Due is when an action set for days days after t falls due, S3's
// rounding: t plus days, rounded up to the start of the next day ("Amazon
// S3 calculates the time by adding the number of days specified in the
// rule to the object creation time and rounding the resulting time to the
// next day midnight UTC"). That is the start of the day after the one
// t+days falls in, even when t+days is itself a midnight: an object created
// 2014-01-15T10:30Z with Days 3 is due 2014-01-19T00:00Z, and one created
// 2014-01-15T00:00Z with Days 3 is due 2014-01-19T00:00Z too. Days count
// whole Clock days from the Unix epoch. Negative days count as 0.
func (k Clock) Due(t time.Time, days int) time.Time {
	d := int64(k.day())
	if t.Unix() > maxNanoSec {
		return Never()
	}
	if t.Unix() < minNanoSec {
		t = time.Unix(minNanoSec, 0) // later than t: never due before S3 would be
	}
	if days < 0 {
		days = 0
	}
	ns := t.UnixNano()
	index := ns / d
	if ns%d < 0 {
		index-- // floor, for times before the epoch
	}
	n := index + int64(days) + 1 // index < 2^63/d, days < 2^63: no overflow unless d is tiny
	if n < index || n > math.MaxInt64/d {
		return Never()
	}
	return time.Unix(0, n*d).UTC()
}

// due reports whether an action set for days days after t is due at now.
func (k Clock) due(t time.Time, days int, now time.Time) bool {
	return !now.Before(k.Due(t, days))
}

// Evaluate is Clock{}.Evaluate.
func (c *Configuration) Evaluate(v Version, now time.Time) Action {
	return Clock{}.Evaluate(c, v, now)
}

// AbortUpload is Clock{}.AbortUpload.
func (c *Configuration) AbortUpload(key string, initiated, now time.Time) bool {
	return Clock{}.AbortUpload(c, key, initiated, now)
}

// Evaluate returns the action due at now for version v under the enabled
// rules of c whose filter v matches (NoAction for a nil c):
//
//   - a current version that is not a delete marker: ExpireCurrent if any
//     rule's Expiration (Days or Date) is due, else TransitionCurrent to the
//     coldest class a due Transition names that is colder than v's;
//   - a current delete marker that is the only version of its key:
//     RemoveDeleteMarker under a rule with ExpiredObjectDeleteMarker true,
//     or whose Expiration Days are due counted from the marker's ModTime;
//   - a noncurrent version or delete marker: DeleteVersion if a
//     NoncurrentVersionExpiration is due (NoncurrentDays counted from
//     NoncurrentSince, and at least NewerNoncurrentVersions newer
//     noncurrent versions), else, for a version, TransitionNoncurrent to
//     the coldest class a due NoncurrentVersionTransition names.
//
// Action.RuleID is the first rule, in configuration order, that calls for
// the action returned.
func (k Clock) Evaluate(c *Configuration, v Version, now time.Time) Action {
	if c == nil {
		return Action{}
	}
	o := object{key: v.Key, tags: v.Tags, size: v.Size}
	if v.DeleteMarker {
		o.tags, o.size = nil, 0
	}
	switch {
	case v.IsLatest && v.DeleteMarker:
		return k.marker(c, o, v, now)
	case v.IsLatest:
		return k.current(c, o, v, now)
	default:
		return k.noncurrent(c, o, v, now)
	}
}

func (k Clock) current(c *Configuration, o object, v Version, now time.Time) Action {
	var best Action
	have := classRank(v.StorageClass)
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.Status != Enabled || !r.matches(o) {
			continue
		}
		if e := r.Expiration; e != nil {
			if (e.Days != nil && k.due(v.ModTime, *e.Days, now)) || (e.Date != nil && !now.Before(*e.Date)) {
				return Action{Kind: ExpireCurrent, RuleID: r.ID}
			}
		}
		if have < 0 {
			continue // a class nimbus does not know: leave it be
		}
		for _, t := range r.Transitions {
			rank := classRank(t.StorageClass)
			if rank <= have || rank <= classRank(best.StorageClass) {
				continue
			}
			if (t.Days != nil && k.due(v.ModTime, *t.Days, now)) || (t.Date != nil && !now.Before(*t.Date)) {
				best = Action{Kind: TransitionCurrent, StorageClass: t.StorageClass, RuleID: r.ID}
			}
		}
	}
	return best
}

func (k Clock) marker(c *Configuration, o object, v Version, now time.Time) Action {
	if !v.OnlyVersion {
		return Action{}
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		e := r.Expiration
		if r.Status != Enabled || e == nil || !r.matches(o) {
			continue
		}
		if (e.ExpiredObjectDeleteMarker != nil && *e.ExpiredObjectDeleteMarker) ||
			(e.Days != nil && k.due(v.ModTime, *e.Days, now)) {
			return Action{Kind: RemoveDeleteMarker, RuleID: r.ID}
		}
	}
	return Action{}
}

func (k Clock) noncurrent(c *Configuration, o object, v Version, now time.Time) Action {
	if v.NoncurrentSince.IsZero() {
		return Action{} // unknown: never delete on a guess
	}
	var best Action
	have := classRank(v.StorageClass)
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.Status != Enabled || !r.matches(o) {
			continue
		}
		if x := r.NoncurrentVersionExpiration; x != nil && retained(x.NewerNoncurrentVersions, v) &&
			k.due(v.NoncurrentSince, x.NoncurrentDays, now) {
			return Action{Kind: DeleteVersion, RuleID: r.ID}
		}
		if v.DeleteMarker || have < 0 {
			continue
		}
		for _, t := range r.NoncurrentVersionTransitions {
			rank := classRank(t.StorageClass)
			if rank <= have || rank <= classRank(best.StorageClass) {
				continue
			}
			if retained(t.NewerNoncurrentVersions, v) && k.due(v.NoncurrentSince, t.NoncurrentDays, now) {
				best = Action{Kind: TransitionNoncurrent, StorageClass: t.StorageClass, RuleID: r.ID}
			}
		}
	}
	return best
}

// retained reports whether v is beyond the newest keep noncurrent versions
// of its key, which a rule with NewerNoncurrentVersions keep spares.
func retained(keep *int, v Version) bool {
	return keep == nil || v.NewerNoncurrent >= *keep
}

// AbortUpload reports whether a multipart upload of key initiated at
// initiated is to be aborted at now: some enabled rule with an
// AbortIncompleteMultipartUpload whose filter is by prefix alone (or
// empty) matches key, and its DaysAfterInitiation are due. Rules whose
// filter tests tags or sizes never apply to uploads.
func (k Clock) AbortUpload(c *Configuration, key string, initiated, now time.Time) bool {
	if c == nil {
		return false
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		a := r.AbortIncompleteMultipartUpload
		if r.Status != Enabled || a == nil || r.usesTags() || r.usesSizes() || !r.matches(object{key: key}) {
			continue
		}
		if k.due(initiated, a.DaysAfterInitiation, now) {
			return true
		}
	}
	return false
}

// object is what a filter tests.
type object struct {
	key  string
	tags map[string]string
	size int64
}

// matches reports whether r's filter (or rule-level prefix) selects o.
// Size bounds are strict; every tag the filter names must be on o with
// exactly that value.
func (r *Rule) matches(o object) bool {
	if r.Prefix != nil {
		return strings.HasPrefix(o.key, *r.Prefix)
	}
	f := r.Filter
	if f == nil {
		return true
	}
	ok := matchPrefix(f.Prefix, o) && matchSizes(f.ObjectSizeGreaterThan, f.ObjectSizeLessThan, o)
	if f.Tag != nil {
		ok = ok && matchTag(*f.Tag, o)
	}
	if a := f.And; a != nil {
		ok = ok && matchPrefix(a.Prefix, o) && matchSizes(a.ObjectSizeGreaterThan, a.ObjectSizeLessThan, o)
		for _, t := range a.Tags {
			ok = ok && matchTag(t, o)
		}
	}
	return ok
}

func matchPrefix(p *string, o object) bool {
	return p == nil || strings.HasPrefix(o.key, *p)
}

func matchSizes(gt, lt *int64, o object) bool {
	return (gt == nil || o.size > *gt) && (lt == nil || o.size < *lt)
}

func matchTag(t Tag, o object) bool {
	v, ok := o.tags[t.Key]
	return ok && v == t.Value
}

// classRank orders the classes nimbus stores objects in from warmest:
// STANDARD ("" too) 0, STANDARD_IA 1, GLACIER_IR 2; any other -1.
func classRank(class string) int {
	switch class {
	case "", Standard:
		return 0
	case StandardIA:
		return 1
	case GlacierIR:
		return 2
	}
	return -1
}
