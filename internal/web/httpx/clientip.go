package httpx

import (
	"context"
	"net"
	"strings"
)

// Proxies is the set of proxies whose X-Forwarded-For we believe (TRUSTED_PROXIES).
type Proxies []*net.IPNet

// ParseProxies turns IPs and CIDRs (already validated by config) into Proxies.
func ParseProxies(list []string) Proxies {
	var out Proxies
	for _, s := range list {
		if !strings.Contains(s, "/") {
			if ip := net.ParseIP(s); ip.To4() != nil {
				s += "/32"
			} else {
				s += "/128"
			}
		}
		if _, n, err := net.ParseCIDR(s); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func (p Proxies) trusted(ip net.IP) bool {
	for _, n := range p {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// ClientAddress is the address of the client a request really came from. X-Forwarded-For is read
// only when the connection comes from a trusted proxy, and then from the right: proxies append,
// so everything left of the last untrusted hop was written by the client and may be made up. Login
// throttles and the audit log rely on this value.
func (p Proxies) ClientAddress(remote net.IP, forwardedFor string) string {
	if len(p) == 0 || remote == nil || !p.trusted(remote) || forwardedFor == "" {
		return remote.String()
	}
	hops := strings.Split(forwardedFor, ",")
	for i := len(hops) - 1; i >= 0; i-- {
		ip := net.ParseIP(strings.TrimSpace(hops[i]))
		if ip == nil {
			return remote.String() // a malformed chain is not believed at all
		}
		if !p.trusted(ip) {
			return ip.String()
		}
	}
	return remote.String()
}

const clientIPKey ctxKey = 100

// WithClientIP returns ctx carrying the client's address.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey, ip)
}

// ClientIP returns the client's address resolved once per request by the web layer.
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey).(string)
	return ip
}
