package httpx

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClientAddress(t *testing.T) {
	t.Parallel()
	proxies := ParseProxies([]string{"10.0.0.0/8", "192.0.2.1"})
	for _, tc := range []struct {
		name, remote, xff, want string
		p                       Proxies
	}{
		{"NoProxiesConfigured", "203.0.113.5", "1.2.3.4", "203.0.113.5", nil},
		{"UntrustedPeerIgnoresHeader", "203.0.113.5", "1.2.3.4", "203.0.113.5", proxies},
		{"TrustedPeer", "10.1.1.1", "198.51.100.7", "198.51.100.7", proxies},
		{"ClientPrependsFakeHop", "10.1.1.1", "6.6.6.6, 198.51.100.7", "198.51.100.7", proxies},
		{"ChainOfProxies", "10.1.1.1", "198.51.100.7, 192.0.2.1, 10.2.2.2", "198.51.100.7", proxies},
		{"GarbageChain", "10.1.1.1", "<script>, 198.51.100.7x", "10.1.1.1", proxies},
		{"AllTrusted", "10.1.1.1", "10.3.3.3", "10.1.1.1", proxies},
		{"NoHeader", "10.1.1.1", "", "10.1.1.1", proxies},
	} {
		got := tc.p.ClientAddress(net.ParseIP(tc.remote), tc.xff)
		require.Equal(t, tc.want, got, tc.name)
	}
}
