package s3

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/s3"
)

// corsRuleXML is one CORSRule element.
type corsRuleXML struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds"`
}

// corsConfigurationXML is a CORSConfiguration document, in and out.
type corsConfigurationXML struct {
	XMLName xml.Name      `xml:"CORSConfiguration"`
	Xmlns   string        `xml:"xmlns,attr,omitempty"`
	Rules   []corsRuleXML `xml:"CORSRule"`
}

// putBucketCors stores the CORSConfiguration in the body, which must carry
// a Content-MD5 or x-amz-checksum-* header, as S3 requires.
func putBucketCors(q *request) error {
	body, err := readVerified(q, s3.MaxCORSConfig)
	if err != nil {
		return err
	}
	var doc corsConfigurationXML
	if err := decodeXML(body, &doc); err != nil {
		return err
	}
	rules := make([]s3.CORSRule, len(doc.Rules))
	for i, r := range doc.Rules {
		rules[i] = s3.CORSRule{ID: r.ID, AllowedOrigins: r.AllowedOrigins, AllowedMethods: r.AllowedMethods,
			AllowedHeaders: r.AllowedHeaders, ExposeHeaders: r.ExposeHeaders, MaxAgeSeconds: r.MaxAgeSeconds}
	}
	if err := q.h.svc.PutBucketCors(q.ctx, q.addr.Bucket, rules); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusOK)
}

func getBucketCors(q *request) error {
	rules, err := q.h.svc.GetBucketCors(q.ctx, q.addr.Bucket)
	if err != nil {
		return err
	}
	out := corsConfigurationXML{Xmlns: xmlns, Rules: make([]corsRuleXML, len(rules))}
	for i, r := range rules {
		out.Rules[i] = corsRuleXML{ID: r.ID, AllowedOrigins: r.AllowedOrigins, AllowedMethods: r.AllowedMethods,
			AllowedHeaders: r.AllowedHeaders, ExposeHeaders: r.ExposeHeaders, MaxAgeSeconds: r.MaxAgeSeconds}
	}
	return writeXML(q, out)
}

func deleteBucketCors(q *request) error {
	if err := q.h.svc.DeleteBucketCors(q.ctx, q.addr.Bucket); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusNoContent)
}

// preflight answers a CORS preflight (OPTIONS) from the bucket's rules,
// whoever sends it: browsers never sign preflights.
func preflight(q *request) error {
	h := q.r.Header
	origin := h.Get("Origin")
	if origin == "" {
		return awserr.New(http.StatusBadRequest, "BadRequest", "Insufficient information. Origin request header needed.")
	}
	method := h.Get("Access-Control-Request-Method")
	if method == "" {
		return awserr.New(http.StatusBadRequest, "BadRequest", "Invalid Access-Control-Request-Method: null")
	}
	var headers []string
	for _, v := range h.Values("Access-Control-Request-Headers") {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				headers = append(headers, f)
			}
		}
	}
	rule, err := q.h.svc.Preflight(q.ctx, q.addr.Bucket, origin, method, headers)
	if err != nil {
		return err
	}
	out := q.w.Header()
	setCORSHeaders(out, rule, origin)
	out.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethods, ", "))
	if len(headers) > 0 {
		out.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
	}
	return writeEmpty(q, http.StatusOK)
}

// applyCORS adds the CORS response headers to an actual (non-preflight)
// request that carries an Origin, when its bucket has a rule allowing the
// origin and the request's method. It runs before the operation, so the
// headers go out on success and error responses alike. A failure to read
// the rules adds nothing: the operation reports its own errors.
func applyCORS(q *request) {
	origin := q.r.Header.Get("Origin")
	if origin == "" || q.addr.Bucket == "" || q.r.Method == http.MethodOptions || q.h.svc == nil {
		return
	}
	rules, err := q.h.svc.BucketCORS(q.ctx, q.addr.Bucket)
	if err != nil || len(rules) == 0 {
		return
	}
	out := q.w.Header()
	rule := s3.MatchCORS(rules, origin, q.r.Method, nil)
	if rule == nil {
		out.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
		return
	}
	setCORSHeaders(out, rule, origin)
	out.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethods, ", "))
}

// setCORSHeaders sets the headers preflights and actual requests share.
// A rule allowing every origin ("*") answers "*" without credentials, as S3.
func setCORSHeaders(out http.Header, rule *s3.CORSRule, origin string) {
	allow, creds := origin, true
	for _, o := range rule.AllowedOrigins {
		if o == "*" {
			allow, creds = "*", false
		}
	}
	out.Set("Access-Control-Allow-Origin", allow)
	if creds {
		out.Set("Access-Control-Allow-Credentials", "true")
	}
	if len(rule.ExposeHeaders) > 0 {
		out.Set("Access-Control-Expose-Headers", strings.Join(rule.ExposeHeaders, ", "))
	}
	if rule.MaxAgeSeconds != nil {
		out.Set("Access-Control-Max-Age", strconv.Itoa(*rule.MaxAgeSeconds))
	}
	out.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
}
