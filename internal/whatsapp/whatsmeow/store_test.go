package whatsmeow

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.mau.fi/whatsmeow/types"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/whatsapp"
)

// whatsmeowTables counts whatsmeow_* tables per schema.
func whatsmeowTables(t *testing.T, url string) map[string]int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_schema, count(*) FROM information_schema.tables
		WHERE table_name LIKE 'whatsmeow\_%' GROUP BY table_schema`)
	require.NoError(t, err)
	out := map[string]int{}
	for rows.Next() {
		var schema string
		var n int
		require.NoError(t, rows.Scan(&schema, &n))
		out[schema] = n
	}
	require.NoError(t, rows.Err())
	return out
}

func TestDeviceStore(t *testing.T) {
	t.Parallel()

	t.Run("TablesOnlyInTheirSchema", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// 14 tables of the latest schema plus whatsmeow_version.
		require.Equal(t, map[string]int{Schema: 15}, whatsmeowTables(t, b.url))
	})

	t.Run("ConcurrentUpgradesOnAFreshDatabase", func(t *testing.T) {
		t.Parallel()
		url := dbtest.URL(t) // migrated: schema whatsmeow exists, empty
		require.Empty(t, whatsmeowTables(t, url))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// Instances starting together: without the advisory lock both would run CREATE TABLE and
		// one would fail on a duplicate.
		const n = 4
		var wg sync.WaitGroup
		errs := make([]error, n)
		conns := make([]*Connector, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conns[i], errs[i] = NewConnector(ctx, url, quietLog(), Options{Dial: (&closedPort{}).dial})
			}()
		}
		wg.Wait()
		for i := range n {
			require.NoError(t, errs[i])
			require.NoError(t, conns[i].Close())
		}
		require.Equal(t, map[string]int{Schema: 15}, whatsmeowTables(t, url))
	})

	t.Run("RestartFindsTablesCurrent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		c, err := NewConnector(context.Background(), b.url, quietLog(), Options{Dial: b.dial.dial})
		require.NoError(t, err)
		require.NoError(t, c.Close())
	})

	t.Run("MissingSchemaIsAClearError", func(t *testing.T) {
		t.Parallel()
		url := dbtest.EmptyURL(t)
		_, err := NewConnector(context.Background(), url, quietLog(), Options{})
		require.ErrorContains(t, err, `schema "whatsmeow" does not exist; run `+"`wagate migrate`")
		require.Empty(t, whatsmeowTables(t, url), "nothing created in public")
	})

	t.Run("StrayTablesElsewhereAreRefused", func(t *testing.T) {
		t.Parallel()
		url := dbtest.URL(t)
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, "CREATE TABLE public.whatsmeow_device (jid text PRIMARY KEY)")
		require.NoError(t, err)
		require.NoError(t, conn.Close(ctx))
		_, err = NewConnector(ctx, url, quietLog(), Options{})
		require.ErrorContains(t, err, "whatsmeow tables exist outside schema \"whatsmeow\" (public.whatsmeow_device)")
	})

	t.Run("OpenLoadsThePairedDevice", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		jid := pairedDevice(t, b.conn, "4915123456789")
		d, err := b.conn.OpenDriver(context.Background(), newRef(jid), nopHandler)
		require.NoError(t, err)
		require.NotNil(t, d.dev().ID)
		require.Equal(t, "4915123456789:7@s.whatsapp.net", d.dev().ID.String())
		require.Equal(t, "android", d.dev().Platform)
	})

	t.Run("ADeviceWithoutKeysIsNotPaired", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		d, err := b.conn.Open(context.Background(), newRef(whatsapp.JID{User: "4915100000000", Device: 3, Server: whatsapp.ServerUser}), nopHandler)
		require.NoError(t, err, "opens, so the host can pair it again")
		err = d.Connect(context.Background())
		require.ErrorIs(t, err, whatsapp.ErrNotPaired)
		require.ErrorContains(t, err, "pair it again")
		targets, _ := b.dial.seen()
		require.Empty(t, targets, "nothing to log in with: nothing dialled")
	})

	t.Run("DeleteWipesAnOfflineDevice", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		jid := pairedDevice(t, b.conn, "4915123456789")
		other := pairedDevice(t, b.conn, "4915199999999")
		// Keys and state hanging off the device, written through whatsmeow's own store API.
		dev, err := b.conn.container.GetDevice(ctx, jidToWA(jid))
		require.NoError(t, err)
		_, err = dev.PreKeys.GetOrGenPreKeys(ctx, 5)
		require.NoError(t, err)
		require.NoError(t, dev.Identities.PutIdentity(ctx, "4915155555555.0:0", [32]byte{1}))
		require.NoError(t, dev.Sessions.PutSession(ctx, "4915155555555.0:0", []byte("session")))
		require.NoError(t, dev.LIDs.PutLIDMapping(ctx, types.NewJID("12345678901234", types.HiddenUserServer),
			types.NewJID("4915155555555", types.DefaultUserServer)))

		// No Driver is open for it: Delete works from the store alone.
		require.NoError(t, b.conn.Delete(ctx, newRef(jid)))

		counts := tableCounts(t, b.url, jid.String())
		require.Zero(t, counts["whatsmeow_device"])
		require.Zero(t, counts["whatsmeow_pre_keys"])
		require.Zero(t, counts["whatsmeow_identity_keys"])
		require.Zero(t, counts["whatsmeow_sessions"])
		require.Equal(t, 1, counts["lid_map_total"], "the LID map is shared and stays")
		require.Equal(t, 1, tableCounts(t, b.url, other.String())["whatsmeow_device"], "other devices stay")

		d, err := b.conn.Open(ctx, newRef(jid), nopHandler)
		require.NoError(t, err)
		require.ErrorIs(t, d.Connect(ctx), whatsapp.ErrNotPaired)
		require.NoError(t, b.conn.Delete(ctx, newRef(jid)), "deleting again is fine")
		require.NoError(t, b.conn.Delete(ctx, newRef(whatsapp.JID{})), "an unpaired session has nothing to wipe")
	})

	t.Run("DeleteOfAnOpenDriverDisconnectsAndWipes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		jid := pairedDevice(t, b.conn, "4915123456789")
		ref := newRef(jid)
		d, err := b.conn.OpenDriver(ctx, ref, nopHandler)
		require.NoError(t, err)
		require.NoError(t, b.conn.Delete(ctx, ref))
		require.Nil(t, d.dev().ID, "the open driver's device is wiped too")
		require.ErrorIs(t, d.Connect(ctx), whatsapp.ErrNotPaired)
		require.Zero(t, tableCounts(t, b.url, jid.String())["whatsmeow_device"])
	})
}

// tableCounts counts a device's rows in whatsmeow's tables (tests only: production never reads them).
func tableCounts(t *testing.T, url, jid string) map[string]int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	out := map[string]int{}
	for table, col := range map[string]string{
		"whatsmeow_device": "jid", "whatsmeow_pre_keys": "jid", "whatsmeow_identity_keys": "our_jid", "whatsmeow_sessions": "our_jid",
	} {
		var n int
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM whatsmeow."+table+" WHERE "+col+" = $1", jid).Scan(&n))
		out[table] = n
	}
	var n int
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM whatsmeow.whatsmeow_lid_map").Scan(&n))
	out["lid_map_total"] = n
	return out
}
