package s3

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol/xmlbody"
	"github.com/nimbuscloud/nimbus/internal/caller"
)

// Handler serves S3 requests.
type Handler struct {
	domains []string
	log     *slog.Logger
}

// New returns the S3 handler for the given virtual-host domains.
func New(domains []string, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{domains: domains, log: log}
}

// Serve answers one authenticated (or anonymous) S3 request.
func (h *Handler) Serve(ctx context.Context, w http.ResponseWriter, r *http.Request, body io.Reader) string {
	addr, err := ParseAddress(r.Host, r.URL.Path, h.domains)
	if err != nil {
		h.WriteError(ctx, w, r, err)
		return ""
	}
	// Until the object store lands nothing is stored, but a body is still
	// read to its end so the client learns whether its signature, chunk
	// signatures and checksums were good before it learns the operation is
	// missing.
	if c := caller.From(ctx); c != nil && !c.Anonymous() {
		if _, err := io.Copy(io.Discard, body); err != nil {
			h.WriteError(ctx, w, r, err)
			return ""
		}
	} else if r.ContentLength != 0 {
		w.Header().Set("Connection", "close") // an anonymous body is not worth reading
	}
	resource := "/"
	if addr.Bucket != "" {
		resource += addr.Bucket
		if addr.Key != "" {
			resource += "/" + addr.Key
		}
	}
	h.WriteError(ctx, w, r, &awserr.Error{
		Code:     "NotImplemented",
		Message:  "S3 object storage is not available in this build yet (it lands with the object store).",
		Status:   http.StatusNotImplemented,
		Resource: resource,
	})
	return ""
}

// WriteError renders err as S3's XML error body.
func (h *Handler) WriteError(ctx context.Context, w http.ResponseWriter, r *http.Request, err error) {
	reqID := ""
	if c := caller.From(ctx); c != nil {
		reqID = c.RequestID
	}
	e, ok := awserr.As(err)
	if !ok {
		h.log.Error("s3 request failed", "request_id", reqID, "err", err)
		e = awserr.Internal()
	}
	sum := sha256.Sum256([]byte(reqID))
	hostID := base64.StdEncoding.EncodeToString(sum[:])
	xmlbody.WriteS3Error(w, r, e, reqID, hostID)
}
