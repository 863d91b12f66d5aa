package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/proctest"
)

var csrfInput = regexp.MustCompile(`name="_csrf"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="_csrf"`)

// form is a browser: one cookie jar (cookies ignore the port, so the login is shared by both
// instances, as behind a load balancer), no redirects followed.
type form struct {
	t      *testing.T
	client *http.Client
}

func newForm(t *testing.T) *form {
	jar, _ := cookiejar.New(nil)
	return &form{t: t, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (f *form) csrf(base string) string {
	f.t.Helper()
	resp, err := f.client.Get(base + "/login")
	require.NoError(f.t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfInput.FindStringSubmatch(string(body))
	require.NotNil(f.t, m, "no CSRF token on %s/login", base)
	return m[1] + m[2]
}

func (f *form) post(base, path string, v url.Values) (int, string) {
	f.t.Helper()
	v.Set("_csrf", f.csrf(base))
	resp, err := f.client.PostForm(base+path, v)
	require.NoError(f.t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body)
}

// TestLoginThrottle_TwoInstances sends twenty wrong passwords for one account, alternating between
// two running instances: they are throttled as one (5 checked, 15 refused with 429), because the
// counts live in Redis, not in either process.
func TestLoginThrottle_TwoInstances(t *testing.T) {
	dbURL, redisURL := dbtest.URL(t), dbtest.RedisURL(t)
	p1 := proctest.Start(t, proctest.Opts{DatabaseURL: dbURL, RedisURL: redisURL})
	p2 := proctest.Start(t, proctest.Opts{DatabaseURL: dbURL, RedisURL: redisURL})

	owner := newForm(t)
	code, body := owner.post(p1.URL, "/signup", url.Values{"company": {"Throttle Inc"}, "name": {"Tess"},
		"email": {"tess@example.com"}, "password": {"the right password"}})
	require.Equal(t, http.StatusSeeOther, code, body)

	attacker := newForm(t)
	checked, throttled := 0, 0
	for i := 0; i < 20; i++ {
		base := p1.URL
		if i%2 == 1 {
			base = p2.URL
		}
		code, body := attacker.post(base, "/login", url.Values{"email": {"tess@example.com"}, "password": {"guess " + strings.Repeat("x", i)}})
		switch code {
		case http.StatusUnauthorized:
			checked++
			require.Contains(t, body, "Incorrect email or password.")
		case http.StatusTooManyRequests:
			throttled++
		default:
			t.Fatalf("attempt %d: status %d", i+1, code)
		}
	}
	require.Equal(t, 5, checked, "five free failures across both instances together")
	require.Equal(t, 15, throttled)
}
