// Package config reads Wagate's configuration from the environment into one typed struct.
//
// It is the only place that reads environment variables. It reports every problem at once, so an
// operator fixes a deployment in one go. It imports nothing from the rest of the project.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Mode says what the configuration is loaded for: serve needs more than migrate.
type Mode int

const (
	// ForServe requires everything `wagate serve` needs, SECRET_KEY and Redis included.
	ForServe Mode = iota
	// ForMigrate requires only the database.
	ForMigrate
)

// MinSecretKeyLen is the shortest SECRET_KEY accepted. Signing and encryption keys are derived from it.
const MinSecretKeyLen = 32

// Config is the whole configuration. Sub-structs go by value to the constructors that need them.
type Config struct {
	DatabaseURL string
	RedisURL    string
	HTTPAddr    string
	BaseURL     *url.URL
	SecretKey   []byte
	WADriver    string
	// SimulatorQRFirst and SimulatorQRNext, when positive, are how long the simulator's first QR
	// code and each later one stay valid (default 60 s and 20 s, as WhatsApp's); short ones let a
	// demo or a browser test watch the code change. Only WA_DRIVER=simulator uses them.
	SimulatorQRFirst time.Duration
	SimulatorQRNext  time.Duration
	S3               S3
	MediaDir         string

	AdminEmail    string
	AdminPassword string
	SMTPURL       string

	TrustedProxies []string
	LogLevel       slog.Level
	EgressAllow    []string
	MessageExpiry  time.Duration
	MetricsAddr    string

	// DatabasePoolSize is the most Postgres connections this instance's pool opens
	// (DATABASE_POOL_SIZE, default 32; a pool_max_conns in DATABASE_URL wins). WhatsmeowPoolSize is the
	// whatsmeow device store's own pool (WHATSMEOW_POOL_SIZE, default 10; only with WA_DRIVER=whatsmeow).
	// N instances need N × (DatabasePoolSize + WhatsmeowPoolSize) + a few for migrations and tools
	// within Postgres's max_connections (README).
	DatabasePoolSize  int
	WhatsmeowPoolSize int

	// WAVersion overrides the WhatsApp Web client version whatsmeow announces (WA_VERSION, e.g.
	// "2.3000.1031080782"; empty: the library's own). Set it when WhatsApp answers 405 "client
	// outdated" and no newer build is available yet.
	WAVersion string

	// AdminCreatePassword is the password `wagate admin create` gives the new operator
	// (WAGATE_ADMIN_PASSWORD; empty: read from standard input).
	AdminCreatePassword string

	// Test settings (not for production; the README lists them apart). SendClaimTTL
	// (WAGATE_SEND_CLAIM_TTL) is how long a worker's claim on a message lasts before another may
	// send it again (0: 60 s); SweepGrace (WAGATE_SWEEP_GRACE) is how long a queued message goes
	// unlooked-at before the sweeper enqueues it again (0: 30 s). Short ones make the recovery paths
	// observable in seconds.
	SendClaimTTL time.Duration
	SweepGrace   time.Duration

	// InsecureFastPasswordHash swaps argon2id's OWASP cost for a trivial one. Tests that start real
	// processes set it; serve logs a warning whenever it is on. Never set it in production.
	InsecureFastPasswordHash bool
}

// S3 configures S3-compatible media storage. It is in use when Bucket is set.
type S3 struct {
	Endpoint        string
	PublicEndpoint  string
	Region          string
	Bucket          string
	AccessKeyID     string
	SecretAccessKey string
}

// Enabled reports whether media goes to S3 rather than to MEDIA_DIR.
func (s S3) Enabled() bool { return s.Bucket != "" }

// Error lists every problem found in the environment.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "invalid configuration:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// The bounds of SIMULATOR_QR_FIRST and SIMULATOR_QR_NEXT.
const (
	MinSimulatorQR = time.Second
	MaxSimulatorQR = 10 * time.Minute
)

// Drivers are the accepted values of WA_DRIVER.
var Drivers = []string{"whatsmeow", "simulator"}

// Load reads the process environment.
func Load(mode Mode) (Config, error) { return LoadFrom(os.LookupEnv, mode) }

// LoadFrom reads configuration through lookup, so tests need not touch the process environment.
// Every secret may also be given as NAME_FILE, a path whose contents are the value (Docker secrets).
func LoadFrom(lookup func(string) (string, bool), mode Mode) (Config, error) {
	r := reader{lookup: lookup}
	c := Config{
		DatabaseURL:   r.secret("DATABASE_URL", ""),
		RedisURL:      r.secret("REDIS_URL", ""),
		HTTPAddr:      r.str("HTTP_ADDR", ":8080"),
		WADriver:      r.str("WA_DRIVER", "whatsmeow"),
		MediaDir:      r.str("MEDIA_DIR", "./data/media"),
		AdminEmail:    r.str("ADMIN_EMAIL", ""),
		AdminPassword: r.secret("ADMIN_PASSWORD", ""),
		SMTPURL:       r.secret("SMTP_URL", ""),
		MetricsAddr:   r.str("METRICS_ADDR", "127.0.0.1:9090"),
		S3: S3{
			Endpoint:        r.str("S3_ENDPOINT", ""),
			PublicEndpoint:  r.str("S3_PUBLIC_ENDPOINT", ""),
			Region:          r.str("S3_REGION", "us-east-1"),
			Bucket:          r.str("S3_BUCKET", ""),
			AccessKeyID:     r.secret("S3_ACCESS_KEY_ID", ""),
			SecretAccessKey: r.secret("S3_SECRET_ACCESS_KEY", ""),
		},
		TrustedProxies: r.list("TRUSTED_PROXIES"),
		EgressAllow:    r.list("EGRESS_ALLOW"),
		MessageExpiry:  r.duration("MESSAGE_EXPIRY", 24*time.Hour),

		SimulatorQRFirst: r.duration("SIMULATOR_QR_FIRST", 0),
		SimulatorQRNext:  r.duration("SIMULATOR_QR_NEXT", 0),
		LogLevel:         r.level("LOG_LEVEL", slog.LevelInfo),

		DatabasePoolSize:    r.integer("DATABASE_POOL_SIZE", 32),
		WAVersion:           r.str("WA_VERSION", ""),
		WhatsmeowPoolSize:   r.integer("WHATSMEOW_POOL_SIZE", 10),
		AdminCreatePassword: r.secret("WAGATE_ADMIN_PASSWORD", ""),
		SendClaimTTL:        r.duration("WAGATE_SEND_CLAIM_TTL", 0),
		SweepGrace:          r.duration("WAGATE_SWEEP_GRACE", 0),

		InsecureFastPasswordHash: r.str("INSECURE_FAST_PASSWORD_HASH", "") == "true",
	}
	c.BaseURL = r.baseURL("BASE_URL", "http://localhost"+portSuffix(c.HTTPAddr))
	c.SecretKey = []byte(r.secret("SECRET_KEY", ""))

	r.requireURL("DATABASE_URL", c.DatabaseURL, "postgres", "postgresql")
	if mode == ForServe {
		r.requireURL("REDIS_URL", c.RedisURL, "redis", "rediss")
		switch {
		case len(c.SecretKey) == 0:
			r.problem("SECRET_KEY is required (at least %d bytes; e.g. `openssl rand -hex 32`)", MinSecretKeyLen)
		case len(c.SecretKey) < MinSecretKeyLen:
			r.problem("SECRET_KEY must be at least %d bytes, got %d", MinSecretKeyLen, len(c.SecretKey))
		}
	}
	if !contains(Drivers, c.WADriver) {
		r.problem("WA_DRIVER must be one of %s, got %q", strings.Join(Drivers, ", "), c.WADriver)
	}
	for name, d := range map[string]time.Duration{"SIMULATOR_QR_FIRST": c.SimulatorQRFirst, "SIMULATOR_QR_NEXT": c.SimulatorQRNext} {
		if d != 0 && (d < MinSimulatorQR || d > MaxSimulatorQR) {
			r.problem("%s must be between %s and %s, got %s", name, MinSimulatorQR, MaxSimulatorQR, d)
		}
	}
	if c.MessageExpiry < 0 {
		r.problem("MESSAGE_EXPIRY must not be negative")
	}
	if c.WAVersion != "" && !waVersion.MatchString(c.WAVersion) {
		r.problem("WA_VERSION must look like 2.3000.1031080782, got %q", c.WAVersion)
	}
	if c.DatabasePoolSize < 2 || c.DatabasePoolSize > 1000 {
		r.problem("DATABASE_POOL_SIZE must be between 2 and 1000, got %d", c.DatabasePoolSize)
	}
	if c.WhatsmeowPoolSize < 1 || c.WhatsmeowPoolSize > 1000 {
		r.problem("WHATSMEOW_POOL_SIZE must be between 1 and 1000, got %d", c.WhatsmeowPoolSize)
	}
	if c.SendClaimTTL < 0 || c.SweepGrace < 0 {
		r.problem("WAGATE_SEND_CLAIM_TTL and WAGATE_SWEEP_GRACE must not be negative")
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		r.problem("HTTP_ADDR must be host:port, got %q", c.HTTPAddr)
	}
	if c.MetricsAddr == "off" {
		c.MetricsAddr = "" // no metrics listener
	} else if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
		r.problem("METRICS_ADDR must be host:port or off, got %q", c.MetricsAddr)
	}
	for _, p := range c.TrustedProxies {
		if !isIPOrCIDR(p) {
			r.problem("TRUSTED_PROXIES: %q is not an IP address or CIDR", p)
		}
	}
	if c.S3.Enabled() {
		if (c.S3.AccessKeyID == "") != (c.S3.SecretAccessKey == "") {
			r.problem("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together")
		}
		if c.S3.PublicEndpoint == "" {
			c.S3.PublicEndpoint = c.S3.Endpoint
		}
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		r.problem("ADMIN_EMAIL and ADMIN_PASSWORD must be set together")
	}
	if len(r.problems) > 0 {
		return Config{}, &Error{Problems: r.problems}
	}
	return c, nil
}

// reader collects problems instead of stopping at the first.
type reader struct {
	lookup   func(string) (string, bool)
	problems []string
}

func (r *reader) problem(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

func (r *reader) str(name, def string) string {
	if v, ok := r.lookup(name); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

// secret reads NAME or, when that is empty, the file named by NAME_FILE.
func (r *reader) secret(name, def string) string {
	if v := r.str(name, ""); v != "" {
		return v
	}
	path := r.str(name+"_FILE", "")
	if path == "" {
		return def
	}
	b, err := os.ReadFile(path)
	if err != nil {
		r.problem("%s_FILE: %s", name, errors.Unwrap(err))
		return def
	}
	return strings.TrimRight(string(b), "\r\n")
}

// waVersion is the shape of a WhatsApp Web version: three dot-separated numbers.
var waVersion = regexp.MustCompile(`^\d+\.\d+\.\d+$`)

func (r *reader) integer(name string, def int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.problem("%s must be a whole number, got %q", name, v)
		return def
	}
	return n
}

func (r *reader) list(name string) []string {
	var out []string
	for _, f := range strings.Split(r.str(name, ""), ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.problem("%s must be a duration such as 24h or 90m, got %q", name, v)
		return def
	}
	return d
}

func (r *reader) level(name string, def slog.Level) slog.Level {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		r.problem("%s must be debug, info, warn or error, got %q", name, v)
		return def
	}
	return l
}

func (r *reader) baseURL(name, def string) *url.URL {
	v := r.str(name, def)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.problem("%s must be an absolute http(s) URL, got %q", name, v)
		return &url.URL{Scheme: "http", Host: "localhost"}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u
}

func (r *reader) requireURL(name, v string, schemes ...string) {
	if v == "" {
		r.problem("%s is required", name)
		return
	}
	u, err := url.Parse(v)
	if err != nil || !contains(schemes, u.Scheme) {
		r.problem("%s must be a %s:// URL", name, schemes[0])
	}
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func isIPOrCIDR(s string) bool {
	if net.ParseIP(s) != nil {
		return true
	}
	_, _, err := net.ParseCIDR(s)
	return err == nil
}

func portSuffix(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "80" {
		return ""
	}
	return ":" + port
}

// SecureCookies reports whether cookies must carry the Secure flag: the public URL is https.
func (c Config) SecureCookies() bool { return c.BaseURL.Scheme == "https" }
