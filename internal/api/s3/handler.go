package s3

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol/xmlbody"
	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/s3"
)

// xmlns is S3's response namespace.
const xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"

// Handler serves S3 requests.
type Handler struct {
	svc     *s3.Service
	domains []string
	log     *slog.Logger
	post    PostAuthenticator // verifies signed browser POST forms; nil: anonymous forms only
}

// New returns an S3 handler without a store behind it: every
// well-addressed request is answered NotImplemented (gateway tests, and
// builds without the object store).
func New(domains []string, log *slog.Logger) *Handler { return NewService(nil, domains, log) }

// NewService returns the S3 handler serving svc for the given virtual-host
// domains.
func NewService(svc *s3.Service, domains []string, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{svc: svc, domains: domains, log: log}
}

// request is one routed S3 request.
type request struct {
	ctx  context.Context
	w    http.ResponseWriter
	r    *http.Request
	body io.Reader
	addr Address
	h    *Handler
}

// op is one S3 operation's handler.
type op func(q *request) error

// Serve answers one authenticated (or anonymous) S3 request.
func (h *Handler) Serve(ctx context.Context, w http.ResponseWriter, r *http.Request, body io.Reader) string {
	addr, err := ParseAddress(r.Host, r.URL.Path, h.domains)
	if err != nil {
		h.WriteError(ctx, w, r, err)
		return ""
	}
	q := &request{ctx: ctx, w: w, r: r, body: body, addr: addr, h: h}
	action, fn := route(r, addr)
	if h.svc == nil {
		fn = func(*request) error { return notImplemented("S3 object storage") }
	}
	applyCORS(q)
	if err := fn(q); err != nil {
		if r.ContentLength != 0 && r.Body != nil {
			// The body may be unread: the connection's remaining bytes
			// are unknown, so it must not be reused.
			w.Header().Set("Connection", "close")
		}
		h.writeError(q, err)
	}
	return action
}

func (q *request) resource() string {
	res := "/"
	if q.addr.Bucket != "" {
		res += q.addr.Bucket
		if q.addr.Key != "" {
			res += "/" + q.addr.Key
		}
	}
	return res
}

// writeError renders err with the request's resource.
func (h *Handler) writeError(q *request, err error) {
	e, ok := mapError(err)
	if !ok {
		h.WriteError(q.ctx, q.w, q.r, err)
		return
	}
	if e.Status == http.StatusNotModified {
		setCommon(q)
		q.w.WriteHeader(http.StatusNotModified) // no body, as S3
		return
	}
	if e.Resource == "" {
		cp := *e
		cp.Resource = q.resource()
		e = &cp
	}
	h.WriteError(q.ctx, q.w, q.r, e)
}

// WriteError renders err as S3's XML error body.
func (h *Handler) WriteError(ctx context.Context, w http.ResponseWriter, r *http.Request, err error) {
	reqID := ""
	if c := caller.From(ctx); c != nil {
		reqID = c.RequestID
	}
	e, ok := mapError(err)
	if !ok {
		h.log.Error("s3 request failed", "request_id", reqID, "err", err)
		e = awserr.Internal()
	}
	xmlbody.WriteS3Error(w, r, e, reqID, hostID(reqID))
}

func hostID(reqID string) string {
	sum := sha256.Sum256([]byte(reqID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// setCommon sets the headers every S3 response carries.
func setCommon(q *request) {
	reqID := ""
	if c := caller.From(q.ctx); c != nil {
		reqID = c.RequestID
	}
	h := q.w.Header()
	h.Set("X-Amz-Request-Id", reqID)
	h.Set("X-Amz-Id-2", hostID(reqID))
}

// writeXML sends a 200 XML document.
func writeXML(q *request, v any) error {
	b, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	return writeRaw(q, http.StatusOK, append([]byte(xml.Header), b...))
}

func writeRaw(q *request, status int, b []byte) error {
	setCommon(q)
	h := q.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	q.w.WriteHeader(status)
	if q.r.Method != http.MethodHead {
		_, _ = q.w.Write(b)
	}
	return nil
}

// writeEmpty sends a status with no body.
func writeEmpty(q *request, status int) error {
	setCommon(q)
	q.w.Header().Set("Content-Length", "0")
	q.w.WriteHeader(status)
	return nil
}
