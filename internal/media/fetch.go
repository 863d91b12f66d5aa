package media

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"time"

	"code.dny.dev/ssrf"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/validate"
)

// maxRedirects is how many redirects a fetch follows.
const maxRedirects = 3

// fieldURL is the request field a fetch's refusals are reported on.
const fieldURL = "media_url"

var (
	errTooManyRedirects = errors.New("too many redirects")
	errRedirectScheme   = errors.New("redirect to a scheme other than http or https")
)

// newFetchClient returns the HTTP client of URL fetches. The guard sits in the dialer's Control, so it
// judges the address actually dialled, for the first request and every redirect alike, after DNS
// resolution (a name resolving to 127.0.0.1 is refused as 127.0.0.1 is). Private, loopback,
// link-local (cloud metadata included) and other special-purpose addresses are refused unless allow
// names them: as a host (the guard is skipped for that name), an address or a CIDR. Proxies from the
// environment are ignored: a proxy would dial for us, unguarded.
func newFetchClient(allow []string, timeout time.Duration) *http.Client {
	var v4, v6 []netip.Prefix
	hosts := map[string]bool{}
	for _, a := range allow {
		a = strings.ToLower(strings.TrimSpace(a))
		if p, err := netip.ParsePrefix(a); err == nil {
			p = p.Masked()
			if p.Addr().Is4() {
				v4 = append(v4, p)
			} else {
				v6 = append(v6, p)
			}
		} else if ip, err := netip.ParseAddr(a); err == nil {
			if ip.Is4() {
				v4 = append(v4, netip.PrefixFrom(ip, 32))
			} else {
				v6 = append(v6, netip.PrefixFrom(ip, 128))
			}
		} else if a != "" {
			hosts[strings.TrimSuffix(a, ".")] = true
		}
	}
	guard := ssrf.New(ssrf.WithAnyPort(), ssrf.WithAllowedV4Prefixes(v4...), ssrf.WithAllowedV6Prefixes(v6...))
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: 10 * time.Second, Control: guard.Safe}
		if host, _, err := net.SplitHostPort(addr); err == nil && hosts[strings.TrimSuffix(strings.ToLower(host), ".")] {
			d.Control = nil
		}
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dial,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: timeout,
			MaxIdleConns:          20,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return errTooManyRedirects
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return errRedirectScheme
			}
			return nil
		},
	}
}

// Fetch downloads rawURL (http or https) for the tenant and stores it as Upload does: plan size
// limit, type detected from the content, storage quota. The file name comes from the answer's
// Content-Disposition or the URL's last path element, cleaned. A URL that cannot be fetched (bad URL,
// refused address, too many redirects, an error status, a timeout) is a *validate.Errors on field
// "media_url". On any error nothing is stored.
func (s *Service) Fetch(ctx context.Context, tenantID uuid.UUID, rawURL string) (Media, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return Media{}, validate.Field(fieldURL, "Enter a full http:// or https:// URL.")
	}
	lim, err := s.Limits(ctx, tenantID)
	if err != nil {
		return Media{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Media{}, validate.Field(fieldURL, "Enter a full http:// or https:// URL.")
	}
	req.Header.Set("User-Agent", "Wagate media fetcher")
	resp, err := s.fetch.Do(req)
	if err != nil {
		return Media{}, fetchError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Media{}, validate.Field(fieldURL, "The server answered "+resp.Status+" instead of the file.")
	}
	if resp.ContentLength > lim.MaxBytes {
		return Media{}, TooLarge(lim.MaxBytes)
	}
	sp, err := s.spool(resp.Body, lim.MaxBytes)
	if errors.Is(err, ErrTooLarge) {
		return Media{}, err
	} else if err != nil {
		return Media{}, fetchError(ctx, err)
	}
	defer sp.remove()
	return s.ingest(ctx, tenantID, SourceURL, fieldURL, fetchedName(resp), sp, lim)
}

// fetchedName is the name the server gave the file, else the last element of the final URL's path.
func fetchedName(resp *http.Response) string {
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		if n := CleanFileName(params["filename"]); n != "" {
			return n
		}
	}
	if resp.Request != nil && resp.Request.URL != nil {
		return CleanFileName(path.Base(resp.Request.URL.Path))
	}
	return ""
}

// fetchError words a failed fetch for the sender. The request's own end (the client went away) is
// not the URL's fault and is returned as it is.
func fetchError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("fetch media: %w", ctx.Err())
	}
	var dnsErr *net.DNSError
	var netErr net.Error
	msg := "The file could not be downloaded from this URL."
	switch {
	case errors.Is(err, ssrf.ErrProhibitedIP), errors.Is(err, ssrf.ErrProhibitedNetwork), errors.Is(err, ssrf.ErrProhibitedPort):
		msg = "This URL leads to a private, loopback or link-local address, which the server may not fetch from."
	case errors.Is(err, errTooManyRedirects):
		msg = fmt.Sprintf("The URL redirected more than %d times.", maxRedirects)
	case errors.Is(err, errRedirectScheme):
		msg = "The URL redirected to an address that is not http:// or https://."
	case errors.As(err, &dnsErr):
		msg = "The URL's host name could not be found."
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		msg = "The download took too long and was stopped."
	}
	return validate.Field(fieldURL, msg)
}
