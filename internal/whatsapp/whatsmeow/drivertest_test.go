package whatsmeow

import (
	"testing"

	"github.com/wagate/wagate/internal/whatsapp"
	"github.com/wagate/wagate/internal/whatsapp/drivertest"
)

// TestConformance runs the shared driver suite's offline part: every Connector is on a database of
// its own and dials only the closed loopback port. The online part runs by hand under -tags walive.
func TestConformance(t *testing.T) {
	t.Parallel()
	drivertest.Run(t, drivertest.Harness{
		NewConnector: func(t *testing.T) whatsapp.Connector { return setup(t).conn },
		// Offline, a paired session is a device in the store with made-up keys.
		Provision: func(t *testing.T, c whatsapp.Connector, ref whatsapp.SessionRef, phone string) whatsapp.SessionRef {
			ref.Device = pairedDevice(t, c.(*Connector), phone)
			return ref
		},
	})
}
