package session

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/whatsapp"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
)

var _ Scanner = (*simulator.Connector)(nil)

// realConnector hides the simulator's Scan, as a real driver's connector has none.
type realConnector struct{ whatsapp.Connector }

func TestService_SimulateScan(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	s, err := b.svc.Create(ctx, b.tenant, "Demo")
	require.NoError(t, err)
	require.True(t, b.svc.Simulated())

	t.Run("NothingOnScreen", func(t *testing.T) {
		require.ErrorIs(t, b.svc.SimulateScan(ctx, b.tenant, s.ID), ErrNoQRCode)
	})

	t.Run("OtherTenant", func(t *testing.T) {
		other := b.newTenant(t)
		require.ErrorIs(t, b.svc.SimulateScan(ctx, other, s.ID), ErrNotFound)
		require.ErrorIs(t, b.svc.SimulateScan(ctx, b.tenant, uuid.New()), ErrNotFound)
	})

	t.Run("RealDriver", func(t *testing.T) {
		svc := NewService(b.db, realConnector{b.conn}, b.bus, nil)
		require.False(t, svc.Simulated())
		require.ErrorIs(t, svc.SimulateScan(ctx, b.tenant, s.ID), ErrNotSupported)
	})
}

func TestSimulatedPhone(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	require.Regexp(t, `^49151\d{8}$`, simulatedPhone(id))
	require.Equal(t, simulatedPhone(id), simulatedPhone(id), "stable per session")
}
