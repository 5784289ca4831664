package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Server is the configuration of `nimbus server`.
type Server struct {
	DataDir   string   // ./nimbus-data
	Listen    string   // 127.0.0.1:4566
	Region    string   // us-east-1
	AZs       []string // us-east-1a,us-east-1b,us-east-1c
	Store     string   // "sqlite" (in the data dir) or a postgres:// URL
	KeyFile   string   // secrets key; default <data-dir>/master.key
	S3Domains []string // virtual-hosted S3 domains: <bucket>.s3.<domain> is not needed, the domain itself is e.g. "s3.localhost"

	LogFormat string // text | json
	LogLevel  string // debug | info | warn | error

	TLSListen     string // optional second listener speaking TLS
	TLSCert       string
	TLSKey        string
	TLSSelfSigned bool // generate a self-signed cert into the data dir

	// Bootstrap credentials for the first account (CI and scripts).
	BootstrapAccountID string
	BootstrapAccessKey string
	BootstrapSecretKey string

	DebugListen string // optional address serving net/http/pprof (never on a public interface)

	HeaderTimeout         time.Duration // a client must send its request headers within this
	BodyTimeout           time.Duration // RPC bodies must arrive within this; S3 bodies may not stall longer
	STSMinSessionDuration time.Duration // shortest DurationSeconds STS accepts (AWS: 15m); lower only for tests
	ShutdownTimeout       time.Duration // how long in-flight requests may finish
	MaxBodyBytes          int64         // cap on RPC (non-S3) request bodies

	// The object engine's scrubber: first pass StorageScrubDelay after
	// start, then every StorageScrubInterval; orphan shards and temp files
	// are removed once older than StorageOrphanGrace.
	StorageScrubInterval time.Duration
	StorageScrubDelay    time.Duration
	StorageOrphanGrace   time.Duration

	// S3 lifecycle: the worker applies every bucket's configuration each
	// S3LifecycleInterval; S3LifecycleDay is the length of a lifecycle
	// "day" (24h; shorter only so tests can watch rules act).
	S3LifecycleInterval time.Duration
	S3LifecycleDay      time.Duration
}

// MaxScrubDelay is the latest first scrub the object engine allows: its
// scrubber makes a pass at most this long after start (and no later than
// one interval), so storage-scrub-delay can bring that pass forward but
// not push it back.
const MaxScrubDelay = 5 * time.Minute

// Defaults returns the embedded defaults.
func Defaults() Server {
	return Server{
		DataDir:               "./nimbus-data",
		Listen:                "127.0.0.1:4566",
		Region:                "us-east-1",
		Store:                 "sqlite",
		S3Domains:             []string{"s3.localhost"},
		LogFormat:             "text",
		LogLevel:              "info",
		HeaderTimeout:         10 * time.Second,
		BodyTimeout:           time.Minute,
		ShutdownTimeout:       30 * time.Second,
		STSMinSessionDuration: 15 * time.Minute,
		MaxBodyBytes:          1 << 20,
		StorageScrubInterval:  24 * time.Hour,
		StorageScrubDelay:     MaxScrubDelay,
		StorageOrphanGrace:    time.Hour, // engine.DefaultGrace
		S3LifecycleInterval:   time.Hour,
		S3LifecycleDay:        24 * time.Hour,
	}
}

// setting binds one named setting to a field.
type setting struct {
	name  string // flag name: data-dir
	usage string
	set   func(*Server, string) error
	get   func(*Server) string
}

// rawFlag holds a flag's text until precedence is resolved.
type rawFlag struct {
	val    string
	isBool bool
}

func (f *rawFlag) String() string     { return f.val }
func (f *rawFlag) Set(v string) error { f.val = v; return nil }
func (f *rawFlag) IsBoolFlag() bool   { return f.isBool }

// Env returns the environment variable name of a setting.
func (s setting) Env() string {
	return "NIMBUS_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}

// Key returns the config-file key of a setting.
func (s setting) Key() string { return strings.ReplaceAll(s.name, "-", "_") }

func str(p func(*Server) *string) (func(*Server, string) error, func(*Server) string) {
	return func(c *Server, v string) error { *p(c) = v; return nil },
		func(c *Server) string { return *p(c) }
}

func list(p func(*Server) *[]string) (func(*Server, string) error, func(*Server) string) {
	return func(c *Server, v string) error {
			var out []string
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
			*p(c) = out
			return nil
		},
		func(c *Server) string { return strings.Join(*p(c), ",") }
}

func boolean(p func(*Server) *bool) (func(*Server, string) error, func(*Server) string) {
	return func(c *Server, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("want true or false, got %q", v)
			}
			*p(c) = b
			return nil
		},
		func(c *Server) string { return strconv.FormatBool(*p(c)) }
}

func duration(p func(*Server) *time.Duration) (func(*Server, string) error, func(*Server) string) {
	return func(c *Server, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("want a duration such as 30s, got %q", v)
			}
			*p(c) = d
			return nil
		},
		func(c *Server) string { return p(c).String() }
}

func bytesize(p func(*Server) *int64) (func(*Server, string) error, func(*Server) string) {
	return func(c *Server, v string) error {
			n, err := ParseBytes(v)
			if err != nil {
				return err
			}
			*p(c) = n
			return nil
		},
		func(c *Server) string { return strconv.FormatInt(*p(c), 10) }
}

func mk(name, usage string, set func(*Server, string) error, get func(*Server) string) setting {
	return setting{name: name, usage: usage, set: set, get: get}
}

func serverSettings() []setting {
	s := func(name, usage string, p func(*Server) *string) setting {
		set, get := str(p)
		return mk(name, usage, set, get)
	}
	l := func(name, usage string, p func(*Server) *[]string) setting {
		set, get := list(p)
		return mk(name, usage, set, get)
	}
	b := func(name, usage string, p func(*Server) *bool) setting {
		set, get := boolean(p)
		return mk(name, usage, set, get)
	}
	d := func(name, usage string, p func(*Server) *time.Duration) setting {
		set, get := duration(p)
		return mk(name, usage, set, get)
	}
	n := func(name, usage string, p func(*Server) *int64) setting {
		set, get := bytesize(p)
		return mk(name, usage, set, get)
	}
	return []setting{
		s("data-dir", "directory holding the region's data", func(c *Server) *string { return &c.DataDir }),
		s("listen", "address of the HTTP endpoint for every service", func(c *Server) *string { return &c.Listen }),
		s("region", "region name", func(c *Server) *string { return &c.Region }),
		l("azs", "availability zones (comma-separated; default <region>a,b,c)", func(c *Server) *[]string { return &c.AZs }),
		s("store", `metadata store: "sqlite" (file in the data dir) or a postgres:// URL`, func(c *Server) *string { return &c.Store }),
		s("key-file", "file holding the key that encrypts secrets at rest (default <data-dir>/master.key)", func(c *Server) *string { return &c.KeyFile }),
		l("s3-domains", "domains for virtual-hosted S3 (<bucket>.<domain>)", func(c *Server) *[]string { return &c.S3Domains }),
		s("log-format", "log format: text or json", func(c *Server) *string { return &c.LogFormat }),
		s("log-level", "log level: debug, info, warn or error", func(c *Server) *string { return &c.LogLevel }),
		s("tls-listen", "optional address of a TLS listener", func(c *Server) *string { return &c.TLSListen }),
		s("tls-cert", "TLS certificate file (PEM)", func(c *Server) *string { return &c.TLSCert }),
		s("tls-key", "TLS private key file (PEM)", func(c *Server) *string { return &c.TLSKey }),
		b("tls-self-signed", "generate a self-signed TLS certificate into the data dir", func(c *Server) *bool { return &c.TLSSelfSigned }),
		s("bootstrap-account-id", "12-digit ID of the first account (default: random)", func(c *Server) *string { return &c.BootstrapAccountID }),
		s("bootstrap-access-key", "fixed root access key ID of the first account (AKIA...)", func(c *Server) *string { return &c.BootstrapAccessKey }),
		s("bootstrap-secret-key", "fixed root secret access key of the first account (40 chars)", func(c *Server) *string { return &c.BootstrapSecretKey }),
		s("debug-listen", "optional address serving Go profiling (/debug/pprof); keep it on loopback", func(c *Server) *string { return &c.DebugListen }),
		d("header-timeout", "time a client has to send its request headers (slow-loris guard)", func(c *Server) *time.Duration { return &c.HeaderTimeout }),
		d("body-timeout", "time for a non-S3 request body to arrive, and the longest an S3 upload may stall", func(c *Server) *time.Duration { return &c.BodyTimeout }),
		d("sts-min-session-duration", "shortest session STS issues (AWS: 15m); lower it only for tests", func(c *Server) *time.Duration { return &c.STSMinSessionDuration }),
		d("shutdown-timeout", "how long in-flight requests may finish on SIGINT/SIGTERM", func(c *Server) *time.Duration { return &c.ShutdownTimeout }),
		n("max-body-bytes", "largest accepted request body for non-S3 services (e.g. 1MiB)", func(c *Server) *int64 { return &c.MaxBodyBytes }),
		d("storage-scrub-interval", "how often the object scrubber verifies every shard, heals and collects orphans", func(c *Server) *time.Duration { return &c.StorageScrubInterval }),
		d("storage-scrub-delay", "time from start to the first scrub; at most 5m and storage-scrub-interval (default: the shorter of the two)", func(c *Server) *time.Duration { return &c.StorageScrubDelay }),
		d("storage-orphan-grace", "age at which the scrubber removes shards no object references and stale temp files; must exceed the longest PUT (lower only for tests)", func(c *Server) *time.Duration { return &c.StorageOrphanGrace }),
		d("s3-lifecycle-interval", "how often the S3 lifecycle worker applies every bucket's lifecycle configuration", func(c *Server) *time.Duration { return &c.S3LifecycleInterval }),
		d("s3-lifecycle-day", "length of a lifecycle day (24h; shorter only so tests can watch rules act)", func(c *Server) *time.Duration { return &c.S3LifecycleDay }),
	}
}

// LoadServer parses args (without the subcommand) with env as the
// environment (os.Environ form) and returns the validated configuration.
// stderr receives flag usage on -h.
func LoadServer(args []string, env []string, stderr io.Writer) (Server, error) {
	return Load("nimbus server", args, env, stderr, nil)
}

// Load is LoadServer for a command that adds flags of its own (the admin
// commands): extra registers them on the flag set before parsing.
func Load(command string, args []string, env []string, stderr io.Writer, extra func(*flag.FlagSet)) (Server, error) {
	cfg := Defaults()
	settings := serverSettings()

	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if extra != nil {
		extra(fs)
	}
	configFile := fs.String("config", "", "YAML config file (env NIMBUS_CONFIG)")
	isBool := map[string]bool{"tls-self-signed": true}
	for _, s := range settings {
		usage := fmt.Sprintf("%s (env %s)", s.usage, s.Env())
		fs.Var(&rawFlag{val: s.get(&cfg), isBool: isBool[s.name]}, s.name, usage)
	}
	if err := fs.Parse(args); err != nil {
		return Server{}, err
	}
	if fs.NArg() > 0 {
		return Server{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	setFlags := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { setFlags[f.Name] = true })

	envMap := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			envMap[k] = v
		}
	}

	// config file
	path := *configFile
	if !setFlags["config"] {
		path = envMap["NIMBUS_CONFIG"]
	}
	fileKeys := map[string]bool{}
	if path != "" {
		keys, err := applyFile(&cfg, settings, path)
		if err != nil {
			return Server{}, err
		}
		for _, k := range keys {
			fileKeys[k] = true
		}
	}
	// environment
	for _, s := range settings {
		if v, ok := envMap[s.Env()]; ok {
			if err := s.set(&cfg, v); err != nil {
				return Server{}, fmt.Errorf("setting %s (from env %s): %w", s.name, s.Env(), err)
			}
		}
	}
	// flags
	for _, s := range settings {
		if !setFlags[s.name] {
			continue
		}
		v := fs.Lookup(s.name).Value.String()
		if err := s.set(&cfg, v); err != nil {
			return Server{}, fmt.Errorf("setting %s (from flag --%s): %w", s.name, s.name, err)
		}
	}
	src := map[string]string{}
	for _, s := range settings {
		switch {
		case setFlags[s.name]:
			src[s.name] = "flag --" + s.name
		case hasKey(envMap, s.Env()):
			src[s.name] = "env " + s.Env()
		case fileKeys[s.Key()]:
			src[s.name] = "config file " + path
		}
	}
	if err := cfg.finish(src); err != nil {
		return Server{}, err
	}
	return cfg, nil
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

func applyFile(cfg *Server, settings []setting, path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	known := map[string]setting{}
	for _, s := range settings {
		known[s.Key()] = s
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		s, ok := known[k]
		if !ok {
			return nil, fmt.Errorf("config file %s: unknown setting %q", path, k)
		}
		var v string
		switch x := raw[k].(type) {
		case []any:
			parts := make([]string, len(x))
			for i, p := range x {
				parts[i] = fmt.Sprint(p)
			}
			v = strings.Join(parts, ",")
		case nil:
			v = ""
		default:
			v = fmt.Sprint(x)
		}
		if err := s.set(cfg, v); err != nil {
			return nil, fmt.Errorf("setting %s (from config file %s): %w", s.name, path, err)
		}
	}
	return keys, nil
}

var (
	regionRE     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	accountIDRE  = regexp.MustCompile(`^[0-9]{12}$`)
	accessKeyRE  = regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`)
	domainLabels = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
)

// finish fills derived defaults and validates.
func (c *Server) finish(src map[string]string) error {
	bad := func(name, format string, args ...any) error {
		from := src[name]
		if from == "" {
			from = "default"
		}
		return fmt.Errorf("setting %s (from %s): %s", name, from, fmt.Sprintf(format, args...))
	}
	if c.DataDir == "" {
		return bad("data-dir", "must not be empty")
	}
	if err := checkAddr(c.Listen); err != nil {
		return bad("listen", "%v", err)
	}
	if !regionRE.MatchString(c.Region) {
		return bad("region", "%q is not a region name such as us-east-1", c.Region)
	}
	if len(c.AZs) == 0 {
		c.AZs = []string{c.Region + "a", c.Region + "b", c.Region + "c"}
	}
	seen := map[string]bool{}
	for _, az := range c.AZs {
		if !strings.HasPrefix(az, c.Region) || len(az) != len(c.Region)+1 || az[len(az)-1] < 'a' || az[len(az)-1] > 'z' {
			return bad("azs", "%q is not an AZ of region %s (want %sa, %sb, ...)", az, c.Region, c.Region, c.Region)
		}
		if seen[az] {
			return bad("azs", "%q listed twice", az)
		}
		seen[az] = true
	}
	if !validStore(c.Store) {
		// Never echo the value: it may hold a password.
		return bad("store", `want "sqlite", a postgres:// URL or a "host=... dbname=..." connection string`)
	}
	if c.KeyFile == "" {
		c.KeyFile = c.DataDir + "/master.key"
	}
	for _, d := range c.S3Domains {
		if !domainLabels.MatchString(d) {
			return bad("s3-domains", "%q is not a domain name", d)
		}
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return bad("log-format", "want text or json, got %q", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return bad("log-level", "want debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.TLSListen != "" {
		if err := checkAddr(c.TLSListen); err != nil {
			return bad("tls-listen", "%v", err)
		}
		if c.TLSSelfSigned == (c.TLSCert != "" || c.TLSKey != "") {
			return bad("tls-listen", "needs either --tls-cert and --tls-key, or --tls-self-signed")
		}
		if !c.TLSSelfSigned && (c.TLSCert == "" || c.TLSKey == "") {
			return bad("tls-cert", "--tls-cert and --tls-key go together")
		}
	} else if c.TLSCert != "" || c.TLSKey != "" || c.TLSSelfSigned {
		return bad("tls-listen", "TLS settings given but no --tls-listen address")
	}
	if c.DebugListen != "" {
		if err := checkAddr(c.DebugListen); err != nil {
			return bad("debug-listen", "%v", err)
		}
		host, _, _ := net.SplitHostPort(c.DebugListen)
		if ip, err := netip.ParseAddr(host); host != "localhost" && (err != nil || !ip.IsLoopback()) {
			return bad("debug-listen", "the profiling endpoint must listen on a loopback address, got %q", c.DebugListen)
		}
	}
	if c.BootstrapAccountID != "" && !accountIDRE.MatchString(c.BootstrapAccountID) {
		return bad("bootstrap-account-id", "want 12 digits, got %q", c.BootstrapAccountID)
	}
	if (c.BootstrapAccessKey == "") != (c.BootstrapSecretKey == "") {
		return bad("bootstrap-access-key", "--bootstrap-access-key and --bootstrap-secret-key go together")
	}
	if c.BootstrapAccessKey != "" && !accessKeyRE.MatchString(c.BootstrapAccessKey) {
		return bad("bootstrap-access-key", "want AKIA followed by 16 upper-case letters or digits, got %q", c.BootstrapAccessKey)
	}
	if c.BootstrapSecretKey != "" && len(c.BootstrapSecretKey) != 40 {
		return bad("bootstrap-secret-key", "want 40 characters, got %d", len(c.BootstrapSecretKey))
	}
	if c.ShutdownTimeout <= 0 {
		return bad("shutdown-timeout", "must be positive (in-flight requests need time to finish)")
	}
	if c.STSMinSessionDuration < time.Second || c.STSMinSessionDuration > 15*time.Minute {
		return bad("sts-min-session-duration", "want between 1s and 15m")
	}
	if c.HeaderTimeout <= 0 {
		return bad("header-timeout", "must be positive")
	}
	if c.BodyTimeout <= 0 {
		return bad("body-timeout", "must be positive")
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 64<<20 {
		return bad("max-body-bytes", "want between 1KiB and 64MiB, got %d", c.MaxBodyBytes)
	}
	if c.StorageScrubInterval <= 0 {
		return bad("storage-scrub-interval", "must be positive")
	}
	if src["storage-scrub-delay"] == "" {
		c.StorageScrubDelay = min(c.StorageScrubInterval, MaxScrubDelay)
	}
	if c.StorageScrubDelay > MaxScrubDelay {
		return bad("storage-scrub-delay", "want at most %s: the object engine scrubs by then anyway", MaxScrubDelay)
	}
	if c.StorageScrubDelay > c.StorageScrubInterval {
		return bad("storage-scrub-delay", "want at most storage-scrub-interval (%s): the first scrub comes one interval after start at the latest", c.StorageScrubInterval)
	}
	if c.S3LifecycleInterval <= 0 {
		return bad("s3-lifecycle-interval", "must be positive")
	}
	if c.S3LifecycleDay < time.Second {
		return bad("s3-lifecycle-day", "want at least 1s, got %s", c.S3LifecycleDay)
	}
	if c.StorageOrphanGrace <= 0 {
		return bad("storage-orphan-grace", "must be positive (unreferenced shards of a PUT in progress must survive until its metadata commits)")
	}
	return nil
}

func checkAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("%q is not host:port", a)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%q has no valid port", a)
	}
	if host != "" && host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			return fmt.Errorf("%q: host must be an IP address or localhost", a)
		}
	}
	return nil
}

// validStore accepts "sqlite", PostgreSQL URLs and keyword/value strings.
func validStore(v string) bool {
	switch {
	case v == "sqlite":
		return true
	case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
		return true
	case strings.Contains(v, "host=") || strings.Contains(v, "dbname="):
		return !strings.Contains(v, "://")
	}
	return false
}

// ParseBytes parses sizes such as 1048576, 512KiB, 1MiB, 2GiB.
func ParseBytes(v string) (int64, error) {
	units := []struct {
		suffix string
		mul    int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	s := strings.TrimSpace(v)
	mul := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mul = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mul {
		return 0, errors.New("want a size such as 1048576 or 1MiB, got " + strconv.Quote(v))
	}
	return n * mul, nil
}
