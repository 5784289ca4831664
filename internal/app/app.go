package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/api"
	apis3 "github.com/nimbuscloud/nimbus/internal/api/s3"
	"github.com/nimbuscloud/nimbus/internal/config"
	"github.com/nimbuscloud/nimbus/internal/s3/lifecycle"
	"github.com/nimbuscloud/nimbus/internal/secret"
	"github.com/nimbuscloud/nimbus/internal/store"
	"github.com/nimbuscloud/nimbus/internal/store/postgres"
	"github.com/nimbuscloud/nimbus/internal/store/sqlite"
)

// Core is what both the server and the admin commands need: the store, the
// secrets box and the account service.
type Core struct {
	Config   config.Server
	Store    store.Store
	Box      *secret.Box
	Accounts *account.Service
}

// OpenCore opens the data directory, the metadata store and the key file,
// and applies migrations.
func OpenCore(ctx context.Context, cfg config.Server) (*Core, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx, account.Schema()); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate accounts: %w", err)
	}
	// A missing key file next to existing secrets means the wrong file, a
	// lost file or a second server without the shared key: creating a new
	// key would make every stored secret undecryptable.
	if _, err := os.Stat(cfg.KeyFile); errors.Is(err, fs.ErrNotExist) {
		exists, err := account.Exists(ctx, st)
		if err != nil {
			st.Close()
			return nil, err
		}
		if exists {
			st.Close()
			return nil, fmt.Errorf("setting key-file: %s does not exist, but the store already holds secrets sealed with a key; restore that file (servers sharing a store must share one key file)", cfg.KeyFile)
		}
	}
	box, _, err := secret.LoadOrCreate(cfg.KeyFile)
	if err != nil {
		st.Close()
		return nil, err
	}
	accts := account.New(st, box, account.Options{})
	return &Core{Config: cfg, Store: st, Box: box, Accounts: accts}, nil
}

// Close releases the core's resources.
func (c *Core) Close() error { return c.Store.Close() }

// OpenStore opens the configured metadata store.
func OpenStore(ctx context.Context, cfg config.Server) (store.Store, error) {
	if cfg.Store == "sqlite" {
		path := filepath.Join(cfg.DataDir, "meta.db")
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
		}
		return st, nil
	}
	st, err := postgres.Open(ctx, cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	return st, nil
}

// Server is a running region.
type Server struct {
	core     *Core
	log      *slog.Logger
	http     *http.Server
	tls      *http.Server
	listener net.Listener
	tlsLn    net.Listener
	debug    *http.Server
	debugLn  net.Listener
	inflight sync.WaitGroup // handlers running; the store closes after them
	usage    *account.Usage
	svcs     services
}

// NewServer builds a region from cfg: it opens the core, bootstraps the first
// account (printing its credentials to out exactly once, when created) and
// binds the listeners.
func NewServer(ctx context.Context, cfg config.Server, log *slog.Logger, out io.Writer) (*Server, error) {
	start := time.Now()
	core, err := OpenCore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{core: core, log: log}
	fail := func(err error) (*Server, error) {
		s.closeListeners()
		core.Close()
		return nil, err
	}

	fixed := account.Key{AccessKeyID: cfg.BootstrapAccessKey, Secret: cfg.BootstrapSecretKey}
	acct, key, created, err := core.Accounts.Bootstrap(ctx, cfg.BootstrapAccountID, fixed)
	if err != nil {
		return fail(fmt.Errorf("bootstrap first account: %w", err))
	}

	s.listener, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fail(fmt.Errorf("setting listen: %w", err))
	}
	if cfg.TLSListen != "" {
		tlsCfg, err := loadTLS(cfg)
		if err != nil {
			return fail(err)
		}
		ln, err := net.Listen("tcp", cfg.TLSListen)
		if err != nil {
			return fail(fmt.Errorf("setting tls-listen: %w", err))
		}
		s.tlsLn = tls.NewListener(ln, tlsCfg)
	}

	if cfg.DebugListen != "" {
		if s.debugLn, err = net.Listen("tcp", cfg.DebugListen); err != nil {
			return fail(fmt.Errorf("setting debug-listen: %w", err))
		}
		s.debug = newHTTPServer(debugMux(), cfg.HeaderTimeout, log)
		log.Info("profiling endpoint ready", "url", "http://"+s.debugLn.Addr().String()+"/debug/pprof/")
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.usage = account.NewUsage(core.Store, log.With("component", "account"), time.Second)
	svcs, err := buildServices(ctx, core, cfg)
	if err != nil {
		return fail(err)
	}
	s.svcs = svcs
	reg.MustRegister(newStorageCollector(svcs.engine))
	s3h := apis3.NewService(svcs.s3, cfg.S3Domains, log.With("component", "s3"))
	gw, err := api.New(api.Options{
		Region:       cfg.Region,
		Services:     svcs.rpc,
		S3:           s3h,
		Keys:         svcs.keys,
		Usage:        s.usage,
		Log:          log.With("component", "api"),
		Metrics:      api.NewMetrics(reg),
		MaxBodyBytes: cfg.MaxBodyBytes,
		BodyTimeout:  cfg.BodyTimeout,
	})
	if err != nil {
		return fail(err)
	}
	s3h.SetPostAuthenticator(gw) // browser POST forms are signed with the gateway's keys
	handler := s.track(withOps(gw, reg))
	s.http = newHTTPServer(handler, cfg.HeaderTimeout, log)
	if s.tlsLn != nil {
		s.tls = newHTTPServer(handler, cfg.HeaderTimeout, log)
	}

	endpoint := EndpointURL(s.listener.Addr().String(), false)
	if created {
		PrintCredentials(out, acct.ID, key, endpoint, cfg.Region, true)
	}
	log.Info("nimbus region ready", "region", cfg.Region, "azs", strings.Join(cfg.AZs, ","), "endpoint", endpoint,
		"listen", s.listener.Addr().String(), "store", core.Store.Backend(), "data_dir", cfg.DataDir,
		"account", acct.ID, "startup", time.Since(start).Round(time.Millisecond))
	if s.tlsLn != nil {
		log.Info("TLS listener ready", "endpoint", EndpointURL(s.tlsLn.Addr().String(), true))
	}
	return s, nil
}

func newHTTPServer(h http.Handler, headerTimeout time.Duration, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: headerTimeout, // slow-loris on headers; bodies are guarded by the gateway
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// withOps serves /healthz and /metrics for unsigned GETs and everything else
// through the gateway. Signed requests always reach the gateway, so buckets
// named "healthz" or "metrics" stay reachable to their owners.
func withOps(gw http.Handler, reg *prometheus.Registry) http.Handler {
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.Header.Get("Authorization") == "" && r.URL.RawQuery == "" {
			switch r.URL.Path {
			case "/healthz":
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"status":"ok"}`+"\n")
				return
			case "/metrics":
				metrics.ServeHTTP(w, r)
				return
			}
		}
		gw.ServeHTTP(w, r)
	})
}

// track counts running handlers, so shutdown can wait for handlers that
// http.Server.Close abandoned before closing the store under them.
func (s *Server) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inflight.Add(1)
		defer s.inflight.Done()
		h.ServeHTTP(w, r)
	})
}

// Addr is the plain HTTP listener's address.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Run serves until ctx is cancelled, then shuts down gracefully: listeners
// close at once and in-flight requests get cfg.ShutdownTimeout to finish.
func (s *Server) Run(ctx context.Context) error {
	usageCtx, stopUsage := context.WithCancel(context.Background())
	usageDone := make(chan struct{})
	go func() { s.usage.Run(usageCtx); close(usageDone) }()
	scrubDone := make(chan struct{})
	go func() { s.runScrubber(usageCtx); close(scrubDone) }()
	lifecycleDone := make(chan struct{})
	go func() {
		cfg := s.core.Config
		s.svcs.s3.RunLifecycle(usageCtx, cfg.S3LifecycleInterval, lifecycle.Clock{Day: cfg.S3LifecycleDay})
		close(lifecycleDone)
	}()
	errc := make(chan error, 2)
	go func() { errc <- s.http.Serve(s.listener) }()
	if s.tls != nil {
		go func() { errc <- s.tls.Serve(s.tlsLn) }()
	}
	if s.debug != nil {
		go func() { _ = s.debug.Serve(s.debugLn) }()
		defer s.debug.Close()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	}
	s.log.Info("shutting down", "timeout", s.core.Config.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.core.Config.ShutdownTimeout)
	defer cancel()
	servers := []*http.Server{s.http}
	if s.tls != nil {
		servers = append(servers, s.tls)
	}
	for _, srv := range servers {
		if e := srv.Shutdown(sctx); e != nil {
			// Out of time: cut the remaining connections so no handler is
			// still running when the store closes below.
			s.log.Warn("in-flight requests did not finish in time; closing connections", "err", e)
			srv.Close()
			if err == nil {
				err = fmt.Errorf("shutdown: %w", e)
			}
		}
	}
	s.inflight.Wait()
	stopUsage()
	<-usageDone
	<-scrubDone
	<-lifecycleDone
	if e := s.svcs.engine.Close(); e != nil && err == nil {
		err = e
	}
	if e := s.core.Close(); e != nil && err == nil {
		err = e
	}
	s.log.Info("stopped")
	return err
}

// runScrubber runs the object engine's scrubber until ctx ends: it heals
// what reads and Puts found degraded, continuously, and verifies every
// stored shard and collects orphans storage-scrub-delay after start, then
// every storage-scrub-interval. engine.RunScrubber makes its own first pass
// min(interval, config.MaxScrubDelay) after start; a shorter delay adds one
// pass before it (passes may overlap: each re-checks what it heals).
func (s *Server) runScrubber(ctx context.Context) {
	cfg := s.core.Config
	eng, cat := s.svcs.engine, s.svcs.catalog
	var early sync.WaitGroup
	if cfg.StorageScrubDelay < min(cfg.StorageScrubInterval, config.MaxScrubDelay) {
		early.Add(1)
		go func() {
			defer early.Done()
			t := time.NewTimer(cfg.StorageScrubDelay)
			defer t.Stop()
			select {
			case <-ctx.Done():
			case <-t.C:
				if _, err := eng.Scrub(ctx, cat); err != nil && ctx.Err() == nil {
					s.log.Error("early scrub failed", "component", "blob.engine", "err", err)
				}
			}
		}()
	}
	eng.RunScrubber(ctx, cat, cfg.StorageScrubInterval)
	early.Wait()
}

func (s *Server) closeListeners() {
	if s.listener != nil {
		s.listener.Close()
	}
	if s.tlsLn != nil {
		s.tlsLn.Close()
	}
	if s.debugLn != nil {
		s.debugLn.Close()
	}
}

func debugMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// EndpointURL turns a listen address into the URL clients use.
func EndpointURL(addr string, secure bool) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	scheme := "http"
	if secure {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// PrintCredentials writes the shell lines that point the aws CLI and SDKs at
// the region with an account's root key.
func PrintCredentials(w io.Writer, accountID string, k account.Key, endpoint, region string, first bool) {
	if first {
		fmt.Fprintf(w, "# nimbus created account %s and its root access key. These lines are printed once;\n# `nimbus admin credentials --account %s` prints them again.\n", accountID, accountID)
	} else {
		fmt.Fprintf(w, "# root credentials of account %s\n", accountID)
	}
	// AWS_DEFAULT_REGION too: aws CLI v1 reads only that one.
	fmt.Fprintf(w, "export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_ENDPOINT_URL=%s\nexport AWS_REGION=%s\nexport AWS_DEFAULT_REGION=%s\n",
		k.AccessKeyID, k.Secret, endpoint, region, region)
}
