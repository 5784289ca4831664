package xmlbody

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
)

// WriteS3Error writes err as S3 does:
//
//	<?xml version="1.0" encoding="UTF-8"?>
//	<Error><Code/><Message/><Resource/><RequestId/><HostId/></Error>
//
// with the x-amz-request-id and x-amz-id-2 headers. A HEAD request gets the
// status and headers only (S3 sends no body for HEAD).
func WriteS3Error(w http.ResponseWriter, r *http.Request, err *awserr.Error, requestID, hostID string) {
	status := err.Status
	if status < 300 || status > 599 {
		status = http.StatusInternalServerError
	}
	h := w.Header()
	if requestID != "" {
		h.Set("X-Amz-Request-Id", requestID)
	}
	if hostID != "" {
		h.Set("X-Amz-Id-2", hostID)
	}
	if r != nil && r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>")
	_ = xml.EscapeText(&b, []byte(err.Code))
	b.WriteString("</Code><Message>")
	_ = xml.EscapeText(&b, []byte(err.Message))
	b.WriteString("</Message>")
	if err.Resource != "" {
		b.WriteString("<Resource>")
		_ = xml.EscapeText(&b, []byte(err.Resource))
		b.WriteString("</Resource>")
	}
	b.WriteString("<RequestId>")
	_ = xml.EscapeText(&b, []byte(requestID))
	b.WriteString("</RequestId><HostId>")
	_ = xml.EscapeText(&b, []byte(hostID))
	b.WriteString("</HostId></Error>")
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}
