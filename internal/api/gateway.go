package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"time"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/api/sigv4"
	"github.com/nimbuscloud/nimbus/internal/caller"
)

// RPCEndpoint serves one service's query/JSON/CBOR operations; implemented
// by protocol.Endpoint.
type RPCEndpoint interface {
	Serve(ctx context.Context, w http.ResponseWriter, r *http.Request, body []byte) (action string)
	WriteError(ctx context.Context, w http.ResponseWriter, r *http.Request, err error)
}

// RESTHandler serves S3's rest-xml API. body is the request payload after
// SigV4 verification and aws-chunked decoding: it returns an error instead
// of io.EOF when the payload fails verification, so the handler must commit
// nothing unless it reads to a clean EOF.
type RESTHandler interface {
	Serve(ctx context.Context, w http.ResponseWriter, r *http.Request, body io.Reader) (action string)
	WriteError(ctx context.Context, w http.ResponseWriter, r *http.Request, err error)
}

// UsageRecorder notes when long-term access keys are used.
type UsageRecorder interface {
	Record(accessKeyID, service, region string, at time.Time)
}

// KeySource resolves an access key ID to its secret and principal.
type KeySource interface {
	LookupKey(ctx context.Context, accessKeyID string) (account.Key, error)
}

// Options configures a Gateway.
type Options struct {
	Region       string
	Services     []*protocol.Service // RPC services (query, ec2query, JSON, CBOR)
	S3           RESTHandler
	Keys         KeySource
	Usage        UsageRecorder // may be nil
	Log          *slog.Logger
	Metrics      *Metrics
	Now          func() time.Time
	MaxBodyBytes int64         // cap on RPC request bodies
	BodyTimeout  time.Duration // RPC bodies must arrive within this; S3 bodies may idle this long between reads
}

// Gateway is the http.Handler for every service.
type Gateway struct {
	region    string
	byName    map[string]*rpcService // SigV4 signing name
	byTarget  map[string]*rpcService // X-Amz-Target prefix
	byCBOR    map[string]*rpcService // rpc-v2-cbor service name
	byVersion map[string]*rpcService // query API version, for unsigned requests
	unknownEP RPCEndpoint            // renders errors for services not offered
	s3        RESTHandler
	keys      KeySource
	usage     UsageRecorder
	verifier  *sigv4.Verifier
	log       *slog.Logger
	metrics   *Metrics
	now       func() time.Time
	maxBody   int64
	bodyWait  time.Duration
}

type rpcService struct {
	name   string
	ep     RPCEndpoint
	family family
}

// New builds a Gateway. It fails when a service declaration is invalid.
func New(o Options) (*Gateway, error) {
	g := &Gateway{
		region:    o.Region,
		byName:    map[string]*rpcService{},
		byTarget:  map[string]*rpcService{},
		byCBOR:    map[string]*rpcService{},
		byVersion: map[string]*rpcService{},
		s3:        o.S3,
		keys:      o.Keys,
		usage:     o.Usage,
		log:       o.Log,
		metrics:   o.Metrics,
		now:       o.Now,
		maxBody:   o.MaxBodyBytes,
		bodyWait:  o.BodyTimeout,
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.maxBody == 0 {
		g.maxBody = 1 << 20
	}
	if g.bodyWait == 0 {
		g.bodyWait = time.Minute
	}
	g.verifier = sigv4.NewVerifier(sigv4.Config{Now: g.now})
	unknown, err := protocol.NewEndpoint(unknownServiceDecl(), g.log)
	if err != nil {
		return nil, err
	}
	g.unknownEP = unknown
	for _, svc := range o.Services {
		ep, err := protocol.NewEndpoint(svc, g.log)
		if err != nil {
			return nil, fmt.Errorf("api: service %s: %w", svc.SigningName, err)
		}
		rs := &rpcService{name: svc.SigningName, ep: ep, family: familyOf(svc)}
		g.byName[svc.SigningName] = rs
		if svc.JSONTargetPrefix != "" {
			g.byTarget[svc.JSONTargetPrefix] = rs
		}
		if svc.CBORServiceName != "" {
			g.byCBOR[svc.CBORServiceName] = rs
		}
		if svc.Version != "" && (svc.Accepts(protocol.Query) || svc.Accepts(protocol.EC2Query)) {
			g.byVersion[svc.Version] = rs
		}
	}
	return g, nil
}

// statusWriter records the status for metrics and whether anything was written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP routes, authenticates and dispatches one request.
func (g *Gateway) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := g.now()
	c := &caller.Caller{
		Time:      start,
		Region:    g.region,
		RequestID: requestID(),
		Secure:    r.TLS != nil,
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		c.SourceIP = ap.Addr().Unmap()
	}
	ctx := caller.With(r.Context(), c)
	w := &statusWriter{ResponseWriter: rw}
	var (
		service = ""
		action  = ""
		errOut  func(error) // renders an error in the routed service's envelope
	)
	if g.metrics != nil {
		g.metrics.inflight.Inc()
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				if g.metrics != nil {
					g.metrics.inflight.Dec()
				}
				panic(p)
			}
			g.log.Error("panic serving request", "request_id", c.RequestID, "service", service, "action", action,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if w.status == 0 {
				if errOut != nil {
					errOut(awserr.Internal())
				} else {
					http.Error(w, "InternalError "+c.RequestID, http.StatusInternalServerError)
				}
			}
		}
		if w.status == 0 {
			w.status = http.StatusOK
		}
		if g.metrics != nil {
			g.metrics.inflight.Dec()
			g.metrics.observe(service, action, w.status, g.now().Sub(start))
		}
		g.log.Debug("request", "request_id", c.RequestID, "service", service, "action", action,
			"status", w.status, "duration", g.now().Sub(start), "principal", c.Principal.ARN)
	}()

	auth, authErr := sigv4.Parse(r)
	rs := g.route(w, r, auth, authErr)
	if rs == nil {
		service = "s3"
		c.RequestID = s3RequestID()
		errOut = func(err error) { g.s3.WriteError(ctx, w, r, err) }
		action = g.serveS3(ctx, c, w, r, auth, authErr)
		return
	}
	service = rs.name
	errOut = func(err error) { rs.ep.WriteError(ctx, w, r, err) }
	action = g.serveRPC(ctx, c, w, r, rs, auth, authErr)
}

func (g *Gateway) serveRPC(ctx context.Context, c *caller.Caller, w http.ResponseWriter, r *http.Request, rs *rpcService, auth *sigv4.Auth, authErr error) string {
	fail := func(err error) string {
		rs.ep.WriteError(ctx, w, r, err)
		return ""
	}
	if authErr != nil {
		if errors.Is(authErr, sigv4.ErrNoAuth) {
			return fail(missingAuth(rs.family))
		}
		return fail(authError(rs.family, authErr, g.region))
	}
	// Everything that can be refused without the body is refused before
	// reading it: an unknown key or a stale date costs no buffering.
	if err := g.verifier.CheckTime(auth); err != nil {
		return fail(authError(rs.family, err, g.region))
	}
	key, err := g.authenticate(ctx, rs.family, auth)
	if err != nil {
		return fail(err)
	}
	body, err := g.readBody(w, r)
	if err != nil {
		return fail(err)
	}
	if err := g.verifier.VerifyBytes(r, auth, key.Secret, body); err != nil {
		return fail(authError(rs.family, err, g.region))
	}
	c.Principal = key.Principal
	g.recordUse(key, rs.name, c)
	_ = http.NewResponseController(w).SetWriteDeadline(g.now().Add(g.bodyWait))
	return rs.ep.Serve(ctx, w, r, body)
}

func (g *Gateway) serveS3(ctx context.Context, c *caller.Caller, w http.ResponseWriter, r *http.Request, auth *sigv4.Auth, authErr error) string {
	fail := func(err error) string {
		g.s3.WriteError(ctx, w, r, err)
		return ""
	}
	c.Principal = caller.Principal{Type: caller.Anonymous}
	body := io.Reader(&idleReader{r: r.Body, rc: http.NewResponseController(w), idle: g.bodyWait})
	switch {
	case errors.Is(authErr, sigv4.ErrNoAuth):
	case authErr != nil:
		return fail(authError(familyS3, authErr, g.region))
	default:
		key, err := g.authenticate(ctx, familyS3, auth)
		if err != nil {
			return fail(err)
		}
		r.Body = io.NopCloser(body)
		payload, err := g.verifier.VerifyStream(r, auth, key.Secret)
		if err != nil {
			return fail(authError(familyS3, err, g.region))
		}
		body = &verifiedBody{p: payload, region: g.region}
		c.Principal = key.Principal
		g.recordUse(key, "s3", c)
	}
	return g.s3.Serve(ctx, w, r, body)
}

// authenticate resolves the access key of a parsed signature and checks the
// scope's region.
func (g *Gateway) authenticate(ctx context.Context, f family, auth *sigv4.Auth) (account.Key, error) {
	if auth.Region != g.region {
		return account.Key{}, wrongRegion(f, auth.Region, g.region)
	}
	key, err := g.keys.LookupKey(ctx, auth.AccessKeyID)
	switch {
	case errors.Is(err, account.ErrKeyNotFound):
		return account.Key{}, unknownKey(f)
	case err != nil:
		g.log.Error("access key lookup failed", "request_id", caller.From(ctx).RequestID, "err", err)
		return account.Key{}, awserr.Internal()
	case key.Status != account.Active:
		return account.Key{}, unknownKey(f)
	case key.Temporary:
		// Temporary credentials must present their session token; only its
		// hash is stored.
		sum := sha256.Sum256([]byte(auth.SecurityToken))
		if auth.SecurityToken == "" || !hmac.Equal(sum[:], key.TokenHash) {
			return account.Key{}, unknownKey(f)
		}
		if !g.now().Before(key.Expires) {
			return account.Key{}, expiredToken(f)
		}
	case auth.SecurityToken != "":
		// A session token goes only with temporary (ASIA) credentials; with
		// a long-term key it is invalid, as on AWS.
		return account.Key{}, unknownKey(f)
	}
	return key, nil
}

// recordUse notes a long-term key's use for GetAccessKeyLastUsed.
func (g *Gateway) recordUse(key account.Key, service string, c *caller.Caller) {
	if g.usage != nil && !key.Temporary {
		g.usage.Record(key.AccessKeyID, service, c.Region, c.Time)
	}
}

// readBody reads an RPC body whole, capped at maxBody, within bodyWait. On
// failure the connection is marked for closing: its remaining bytes are
// unknown, and a stalled client must not keep it.
func (g *Gateway) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > g.maxBody {
		w.Header().Set("Connection", "close")
		return nil, tooLarge(g.maxBody)
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(g.now().Add(g.bodyWait))
	body, err := io.ReadAll(io.LimitReader(r.Body, g.maxBody+1))
	if err != nil {
		w.Header().Set("Connection", "close")
		return nil, awserr.New(http.StatusBadRequest, "IncompleteBody", "The request body could not be read in time or was cut short.")
	}
	if int64(len(body)) > g.maxBody {
		w.Header().Set("Connection", "close")
		return nil, tooLarge(g.maxBody)
	}
	_ = rc.SetReadDeadline(time.Time{})
	return body, nil
}

func tooLarge(limit int64) error {
	return awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body must be at most %d bytes.", limit)
}

// idleReader extends the connection's read deadline before each read, so a
// client that stops sending is cut off after idle, however long the upload.
type idleReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleReader) Read(p []byte) (int, error) {
	_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	return b.r.Read(p)
}

// verifiedBody is an S3 payload whose integrity failures (content SHA-256,
// chunk signatures, trailing checksums, decoded length) surface as S3's own
// errors (*awserr.Error) in place of io.EOF.
type verifiedBody struct {
	p      *sigv4.Payload
	region string
}

func (b *verifiedBody) Read(p []byte) (int, error) {
	n, err := b.p.Read(p)
	if err != nil && err != io.EOF {
		err = authError(familyS3, err, b.region)
	}
	return n, err
}

// Trailer returns the verified trailing checksums, after a clean EOF.
func (b *verifiedBody) Trailer() http.Header { return b.p.Trailer() }
