// Package lifecycle is S3 bucket lifecycle configuration: the document of
// PutBucketLifecycleConfiguration and GetBucketLifecycleConfiguration
// (Parse, Validate, Marshal) and the decision, for one object version or
// one multipart upload at a given time, of what the configuration calls
// for (Evaluate, AbortUpload).
//
// It owns the configuration grammar, S3's validation rules with their error
// codes and messages (*Error), and S3's lifecycle semantics. It does not own
// where a configuration is stored, which versions exist, or carrying out an
// action: the S3 service stores the configuration, and a background worker
// walks versions and uploads, asks this package, and acts.
//
// It is a pure core: it must never do I/O, read a clock, log or start
// goroutines. Time enters as arguments. The only randomness is the ID Parse
// gives a rule that has none (ParseWithIDs takes a generator instead). A
// *Configuration is not modified after Parse and is safe for concurrent
// evaluation; there is no mutable package state.
//
// # Document
//
// LifecycleConfiguration holds 1 to 1,000 Rules. A Rule has an optional ID
// (at most 255 characters, unique; Parse gives a rule without one the
// base64 of a random UUID, as S3 does), a Status (Enabled or Disabled),
// exactly one of a Filter and a rule-level Prefix, and at least one action:
// Expiration (Days, Date or ExpiredObjectDeleteMarker), Transitions (Days
// or Date, and a StorageClass), NoncurrentVersionExpiration (NoncurrentDays,
// NewerNoncurrentVersions), NoncurrentVersionTransitions (NoncurrentDays,
// NewerNoncurrentVersions, StorageClass) and AbortIncompleteMultipartUpload
// (DaysAfterInitiation). A Filter is empty (every object), or exactly one
// of Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan and And (a
// conjunction of a Prefix, Tags and the two sizes).
//
// As S3, a configuration whose first rule has a Filter is "Lifecycle V2"
// and may not have rule-level Prefixes; one whose first rule has a
// rule-level Prefix is V1, may not use Filter or NewerNoncurrentVersions,
// and may not have two rules with overlapping prefixes taking the same kind
// of action.
//
// Parse reads the XML strictly: elements are matched by local name (the S3
// namespace is optional), unknown or repeated elements, text where elements
// belong, DTDs, nesting deeper than a valid document and documents larger
// than MaxBodySize are MalformedXML. Marshal writes back exactly the
// elements given (an empty Filter as <Filter></Filter>, an empty Prefix as
// <Prefix></Prefix>), so that Terraform, which reads the configuration back
// and diffs it, sees what it sent; Parse(Marshal(c)) equals c.
//
// Errors, first found first (codes as S3 answers them; messages S3's where
// known):
//
//   - MalformedXML: not well-formed; not the schema (unknown element, a
//     number or date that does not parse, missing Status, NoncurrentDays,
//     DaysAfterInitiation or Tag Key); Status other than Enabled/Disabled;
//     both or neither of Filter and Prefix; a Filter with more than one
//     predicate outside And; an empty And; an empty Expiration or one with
//     both Days and Date; a Transition with both or neither of Days and
//     Date; a StorageClass S3 does not define for transitions.
//   - InvalidRequest: no rule; more than 1,000 rules; a rule without an
//     action; V1/V2 mixtures; overlapping V1 prefixes; duplicate tag keys;
//     object sizes out of range or not ordered; ExpiredObjectDeleteMarker or
//     AbortIncompleteMultipartUpload with a tag or size filter; a storage
//     class named twice in one rule's (noncurrent) transitions; Date- and
//     Days-based Expiration and Transitions mixed in one rule.
//   - InvalidArgument: ID too long or not unique; a prefix longer than 1,024
//     bytes; invalid tag keys or values; Expiration Days, NoncurrentDays or
//     DaysAfterInitiation not positive; transition days negative, or below
//     30 for STANDARD_IA or ONEZONE_IA; a Date not at midnight UTC;
//     ExpiredObjectDeleteMarker with Days or Date; NewerNoncurrentVersions
//     outside 1..100; GLACIER_IR fewer than 30 days after STANDARD_IA;
//     Expiration not after every Transition, NoncurrentVersionExpiration not
//     after every NoncurrentVersionTransition.
//   - InvalidStorageClass, checked last: a transition to a class S3 has but
//     nimbus does not (GLACIER, DEEP_ARCHIVE, INTELLIGENT_TIERING,
//     ONEZONE_IA). nimbus stores STANDARD, STANDARD_IA and GLACIER_IR.
//
// # Evaluation
//
// Only enabled rules whose filter matches a version apply to it. A prefix
// matches keys it begins; ObjectSizeGreaterThan and ObjectSizeLessThan are
// strict bounds; every Tag a filter names must be on the object with
// exactly that value (other tags do not matter). A delete marker has no
// tags and size 0, so tag filters never match one.
//
// Days are S3's: an action set for N days after time t falls due at the
// start of the day after the one t+N falls in, "rounded up to the next
// midnight UTC" (Clock.Due). Dates are absolute: an action with a Date
// applies to every matching object from that midnight on, including objects
// created later. A Clock with a Day other than 24 hours counts days of that
// length from the Unix epoch; operators never set it, it exists so that
// end-to-end tests can run lifecycle in seconds.
//
// Evaluate gives at most one action:
//
//   - Current version: ExpireCurrent once an Expiration's Days or Date is
//     due. What that means is the caller's: in a versioned bucket S3 adds a
//     delete marker, in an unversioned one it deletes the object. Otherwise
//     TransitionCurrent once a Transition's Days or Date is due, to the
//     coldest due class colder than the version's own (STANDARD <
//     STANDARD_IA < GLACIER_IR); a version in a class nimbus does not know is
//     never transitioned. Expiration beats transition when both are due.
//   - Current delete marker, the only version of its key (an "expired
//     object delete marker"): RemoveDeleteMarker under a rule with
//     ExpiredObjectDeleteMarker true, at once, or under a rule whose
//     Expiration Days are due counted from the marker's creation (S3: "When
//     you specify the Days tag, Amazon S3 automatically performs
//     ExpiredObjectDeleteMarker cleanup when the delete markers are old
//     enough"). An Expiration Date does not remove markers.
//   - Noncurrent version or delete marker: DeleteVersion once a
//     NoncurrentVersionExpiration's NoncurrentDays are due, counted from when
//     the version became noncurrent, unless it is one of the
//     NewerNoncurrentVersions newest noncurrent versions of its key.
//     Otherwise (versions only, not markers) TransitionNoncurrent to the
//     coldest due NoncurrentVersionTransition class colder than its own,
//     sparing the NewerNoncurrentVersions newest likewise. A noncurrent
//     version whose NoncurrentSince is unknown (zero) is left alone.
//
// AbortUpload: an incomplete multipart upload is aborted once an enabled
// rule's AbortIncompleteMultipartUpload DaysAfterInitiation are due,
// counted from initiation, if the rule's filter matches its key. Only
// prefix (or empty) filters apply: uploads have no tags or size.
package lifecycle
