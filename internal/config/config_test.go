package config

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func valid() map[string]string {
	return map[string]string{
		"DATABASE_URL": "postgres://u@127.0.0.1:5432/wagate",
		"REDIS_URL":    "redis://127.0.0.1:6379/0",
		"SECRET_KEY":   "0123456789abcdef0123456789abcdef",
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()

	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		c, err := LoadFrom(env(valid()), ForServe)
		require.NoError(t, err)
		require.Equal(t, ":8080", c.HTTPAddr)
		require.Equal(t, "http://localhost:8080", c.BaseURL.String())
		require.Equal(t, "whatsmeow", c.WADriver)
		require.Equal(t, 24*time.Hour, c.MessageExpiry)
		require.Equal(t, "127.0.0.1:9090", c.MetricsAddr)
		require.Equal(t, slog.LevelInfo, c.LogLevel)
		require.Zero(t, c.SimulatorQRFirst, "the simulator's own default")
		require.Zero(t, c.SimulatorQRNext)
		require.False(t, c.S3.Enabled())
		require.False(t, c.SecureCookies())
		require.Equal(t, 32, c.DatabasePoolSize)
		require.Equal(t, 10, c.WhatsmeowPoolSize)
	})

	t.Run("PoolSizes", func(t *testing.T) {
		t.Parallel()
		e := valid()
		e["DATABASE_POOL_SIZE"], e["WHATSMEOW_POOL_SIZE"] = "12", "8"
		c, err := LoadFrom(env(e), ForServe)
		require.NoError(t, err)
		require.Equal(t, 12, c.DatabasePoolSize)
		require.Equal(t, 8, c.WhatsmeowPoolSize)
		e["DATABASE_POOL_SIZE"], e["WHATSMEOW_POOL_SIZE"] = "many", "0"
		_, err = LoadFrom(env(e), ForServe)
		require.ErrorContains(t, err, "DATABASE_POOL_SIZE must be a whole number")
		require.ErrorContains(t, err, "WHATSMEOW_POOL_SIZE must be between 1 and 1000")
	})

	t.Run("WAVersion", func(t *testing.T) {
		t.Parallel()
		e := valid()
		e["WA_VERSION"] = "2.3000.1031080782"
		c, err := LoadFrom(env(e), ForServe)
		require.NoError(t, err)
		require.Equal(t, "2.3000.1031080782", c.WAVersion)
		e["WA_VERSION"] = "latest"
		_, err = LoadFrom(env(e), ForServe)
		require.ErrorContains(t, err, "WA_VERSION must look like")
	})

	t.Run("EveryProblemAtOnce", func(t *testing.T) {
		t.Parallel()
		_, err := LoadFrom(env(map[string]string{
			"SECRET_KEY":         "short",
			"WA_DRIVER":          "baileys",
			"MESSAGE_EXPIRY":     "a day",
			"LOG_LEVEL":          "loud",
			"BASE_URL":           "example.com",
			"TRUSTED_PROXIES":    "10.0.0.0/8, nope",
			"HTTP_ADDR":          "8080",
			"S3_BUCKET":          "b",
			"S3_ACCESS_KEY_ID":   "k",
			"SIMULATOR_QR_FIRST": "500ms",
			"SIMULATOR_QR_NEXT":  "soon",
		}), ForServe)
		var cerr *Error
		require.True(t, errors.As(err, &cerr))
		require.ElementsMatch(t, []string{
			"DATABASE_URL is required",
			"REDIS_URL is required",
			"SECRET_KEY must be at least 32 bytes, got 5",
			`WA_DRIVER must be one of whatsmeow, simulator, got "baileys"`,
			`MESSAGE_EXPIRY must be a duration such as 24h or 90m, got "a day"`,
			`LOG_LEVEL must be debug, info, warn or error, got "loud"`,
			`BASE_URL must be an absolute http(s) URL, got "example.com"`,
			`TRUSTED_PROXIES: "nope" is not an IP address or CIDR`,
			`HTTP_ADDR must be host:port, got "8080"`,
			"S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together",
			"SIMULATOR_QR_FIRST must be between 1s and 10m0s, got 500ms",
			`SIMULATOR_QR_NEXT must be a duration such as 24h or 90m, got "soon"`,
		}, cerr.Problems)
	})

	t.Run("SecretKeyRequiredToServe", func(t *testing.T) {
		t.Parallel()
		e := valid()
		delete(e, "SECRET_KEY")
		_, err := LoadFrom(env(e), ForServe)
		require.ErrorContains(t, err, "SECRET_KEY is required")

		_, err = LoadFrom(env(e), ForMigrate) // migrating needs only the database
		require.NoError(t, err)
	})

	t.Run("SecretFromFile", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "secret")
		require.NoError(t, os.WriteFile(path, []byte("from-a-file-0123456789abcdef-0123\n"), 0o600))
		e := valid()
		delete(e, "SECRET_KEY")
		e["SECRET_KEY_FILE"] = path
		c, err := LoadFrom(env(e), ForServe)
		require.NoError(t, err)
		require.Equal(t, "from-a-file-0123456789abcdef-0123", string(c.SecretKey))

		e["SECRET_KEY_FILE"] = filepath.Join(t.TempDir(), "missing")
		_, err = LoadFrom(env(e), ForServe)
		require.ErrorContains(t, err, "SECRET_KEY_FILE: no such file or directory")
	})

	t.Run("ListsAndHTTPS", func(t *testing.T) {
		t.Parallel()
		e := valid()
		e["BASE_URL"] = "https://wa.example.com/"
		e["EGRESS_ALLOW"] = " 127.0.0.1 ,localhost,,"
		e["TRUSTED_PROXIES"] = "10.0.0.1,192.168.0.0/16"
		e["S3_BUCKET"] = "media"
		e["S3_ENDPOINT"] = "http://minio:9000"
		e["WA_DRIVER"] = "simulator"
		e["SIMULATOR_QR_FIRST"] = "2s"
		e["SIMULATOR_QR_NEXT"] = "1500ms"
		c, err := LoadFrom(env(e), ForServe)
		require.NoError(t, err)
		require.Equal(t, []string{"127.0.0.1", "localhost"}, c.EgressAllow)
		require.Equal(t, []string{"10.0.0.1", "192.168.0.0/16"}, c.TrustedProxies)
		require.Equal(t, "https://wa.example.com", c.BaseURL.String())
		require.True(t, c.SecureCookies())
		require.True(t, c.S3.Enabled())
		require.Equal(t, "http://minio:9000", c.S3.PublicEndpoint, "public endpoint defaults to the endpoint")
		require.Equal(t, 2*time.Second, c.SimulatorQRFirst)
		require.Equal(t, 1500*time.Millisecond, c.SimulatorQRNext)
	})
}
