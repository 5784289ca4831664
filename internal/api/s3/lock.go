package s3

import (
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol/xmlbody"
	"github.com/nimbuscloud/nimbus/internal/s3"
)

// parseLockDate reads an ISO 8601 retain-until date.
func parseLockDate(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// lockHeaders reads a write's x-amz-object-lock-* headers.
func lockHeaders(h http.Header) (s3.Retention, bool, error) {
	var r s3.Retention
	r.Mode = h.Get("X-Amz-Object-Lock-Mode")
	if v := h.Get("X-Amz-Object-Lock-Retain-Until-Date"); v != "" {
		t, ok := parseLockDate(v)
		if !ok {
			return r, false, awserr.New(http.StatusBadRequest, "InvalidArgument", "The retain until date must be provided in ISO 8601 format")
		}
		r.Until = t
	}
	hold := false
	switch v := h.Get("X-Amz-Object-Lock-Legal-Hold"); v {
	case "", "OFF":
	case "ON":
		hold = true
	default:
		return r, false, awserr.New(http.StatusBadRequest, "InvalidArgument", "Legal Hold must be either of 'ON' or 'OFF'")
	}
	return r, hold, nil
}

// writeLockHeaders sets GET/HEAD's object lock headers.
func writeLockHeaders(q *request, o *s3.Object) {
	wh := q.w.Header()
	if o.LockMode != "" {
		wh.Set("X-Amz-Object-Lock-Mode", o.LockMode)
		wh.Set("X-Amz-Object-Lock-Retain-Until-Date", o.LockUntil.UTC().Format(isoMillis))
	}
	if o.LegalHold {
		wh.Set("X-Amz-Object-Lock-Legal-Hold", "ON")
	}
}

type lockConfigXML struct {
	XMLName           xml.Name     `xml:"ObjectLockConfiguration"`
	ObjectLockEnabled string       `xml:"ObjectLockEnabled,omitempty"`
	Rule              *lockRuleXML `xml:"Rule,omitempty"`
}

type lockRuleXML struct {
	DefaultRetention struct {
		Mode  string `xml:"Mode,omitempty"`
		Days  int    `xml:"Days,omitempty"`
		Years int    `xml:"Years,omitempty"`
	} `xml:"DefaultRetention"`
}

func putObjectLockConfiguration(q *request) error {
	var doc lockConfigXML
	if err := xmlbody.Decode(q.body, maxConfigBody, &doc); err != nil {
		return err
	}
	c := s3.LockConfig{Enabled: doc.ObjectLockEnabled == "Enabled"}
	if doc.Rule != nil {
		c.Mode, c.Days, c.Years = doc.Rule.DefaultRetention.Mode, doc.Rule.DefaultRetention.Days, doc.Rule.DefaultRetention.Years
	}
	if err := q.h.svc.PutObjectLockConfiguration(q.ctx, q.addr.Bucket, c); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusOK)
}

func getObjectLockConfiguration(q *request) error {
	c, err := q.h.svc.GetObjectLockConfiguration(q.ctx, q.addr.Bucket)
	if err != nil {
		return err
	}
	out := lockConfigXML{XMLName: xml.Name{Space: xmlns, Local: "ObjectLockConfiguration"}, ObjectLockEnabled: "Enabled"}
	if c.Mode != "" {
		out.Rule = &lockRuleXML{}
		out.Rule.DefaultRetention.Mode, out.Rule.DefaultRetention.Days, out.Rule.DefaultRetention.Years = c.Mode, c.Days, c.Years
	}
	return writeXML(q, out)
}

type retentionXML struct {
	XMLName         xml.Name `xml:"Retention"`
	Mode            string   `xml:"Mode,omitempty"`
	RetainUntilDate string   `xml:"RetainUntilDate,omitempty"`
}

func putObjectRetention(q *request) error {
	var doc retentionXML
	if err := xmlbody.Decode(q.body, maxConfigBody, &doc); err != nil {
		return err
	}
	r := s3.Retention{Mode: doc.Mode}
	if doc.RetainUntilDate != "" {
		t, ok := parseLockDate(strings.TrimSpace(doc.RetainUntilDate))
		if !ok {
			return awserr.New(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		}
		r.Until = t
	}
	if err := q.h.svc.PutObjectRetention(q.ctx, q.addr.Bucket, objectID(q), r, bypassGovernance(q)); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusOK)
}

func getObjectRetention(q *request) error {
	r, err := q.h.svc.GetObjectRetention(q.ctx, q.addr.Bucket, objectID(q))
	if err != nil {
		return err
	}
	return writeXML(q, retentionXML{XMLName: xml.Name{Space: xmlns, Local: "Retention"}, Mode: r.Mode, RetainUntilDate: r.Until.UTC().Format(isoMillis)})
}

type legalHoldXML struct {
	XMLName xml.Name `xml:"LegalHold"`
	Status  string   `xml:"Status"`
}

func putObjectLegalHold(q *request) error {
	var doc legalHoldXML
	if err := xmlbody.Decode(q.body, maxConfigBody, &doc); err != nil {
		return err
	}
	if doc.Status != "ON" && doc.Status != "OFF" {
		return awserr.New(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	if err := q.h.svc.PutObjectLegalHold(q.ctx, q.addr.Bucket, objectID(q), doc.Status == "ON"); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusOK)
}

func getObjectLegalHold(q *request) error {
	on, err := q.h.svc.GetObjectLegalHold(q.ctx, q.addr.Bucket, objectID(q))
	if err != nil {
		return err
	}
	status := "OFF"
	if on {
		status = "ON"
	}
	return writeXML(q, legalHoldXML{XMLName: xml.Name{Space: xmlns, Local: "LegalHold"}, Status: status})
}
