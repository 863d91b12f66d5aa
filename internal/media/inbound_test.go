package media_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// insertPending records inbound media as the messaging core does, inside a transaction.
func (b *testBundle) insertPending(t *testing.T, session uuid.UUID, mimeType, name string, size int64) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	require.NoError(t, store.WithTx(t.Context(), b.db, func(q *store.Queries) error {
		var err error
		id, err = media.InsertPending(t.Context(), q, b.tenant, session, mimeType, name, size, []byte("handle"))
		return err
	}))
	return id
}

func TestService_Inbound(t *testing.T) {
	t.Parallel()
	t.Run("StorePending", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		ctx := t.Context()
		session := uuid.Must(uuid.NewV7())
		id := b.insertPending(t, session, media.MIMEVoiceNote, "../voice.ogg", 99)
		m, err := b.svc.Get(ctx, b.tenant, id)
		require.NoError(t, err)
		require.Equal(t, media.StatePending, m.State)
		require.Equal(t, media.SourceInbound, m.Source)
		require.Equal(t, "voice.ogg", m.FileName, "a sender's name is cleaned, not refused")
		require.True(t, m.VoiceNote)
		require.Equal(t, whatsapp.KindAudio, m.Kind)
		_, _, err = b.svc.Open(ctx, b.tenant, id)
		require.ErrorIs(t, err, media.ErrNotReady)
		_, _, err = b.svc.DownloadURL(ctx, b.tenant, id)
		require.ErrorIs(t, err, media.ErrNotReady)

		data := opusBytes()
		require.NoError(t, b.svc.StorePending(ctx, b.tenant, id, bytes.NewReader(data)))
		m, err = b.svc.Get(ctx, b.tenant, id)
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		require.Equal(t, media.StateStored, m.State)
		require.Equal(t, int64(len(data)), m.Size)
		require.Equal(t, sum[:], m.SHA256)
		require.Equal(t, media.MIMEVoiceNote, m.MIME, "the declared type is kept")
		rc, _, err := b.svc.Open(ctx, b.tenant, id)
		require.NoError(t, err)
		got, _ := io.ReadAll(rc)
		rc.Close()
		require.Equal(t, data, got)

		// A retry after success changes nothing.
		require.NoError(t, b.svc.StorePending(ctx, b.tenant, id, bytes.NewReader([]byte("other bytes"))))
		rc, _, err = b.svc.Open(ctx, b.tenant, id)
		require.NoError(t, err)
		got, _ = io.ReadAll(rc)
		rc.Close()
		require.Equal(t, data, got)

		var handle []byte
		require.NoError(t, b.db.QueryRow(ctx, "SELECT download_handle FROM media WHERE id = $1", id).Scan(&handle))
		require.Nil(t, handle, "the download handle is dropped once the bytes are ours")
	})
	t.Run("SniffedWhenUndeclared", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		id := b.insertPending(t, uuid.Must(uuid.NewV7()), "", "", 0)
		require.NoError(t, b.svc.StorePending(t.Context(), b.tenant, id, bytes.NewReader(pdfBytes())))
		m, err := b.svc.Get(t.Context(), b.tenant, id)
		require.NoError(t, err)
		require.Equal(t, "application/pdf", m.MIME)
	})
	t.Run("ReadErrorLeavesPending", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		id := b.insertPending(t, uuid.Must(uuid.NewV7()), "image/jpeg", "", 10)
		err := b.svc.StorePending(t.Context(), b.tenant, id, &failingReader{n: 100})
		require.Error(t, err)
		m, err := b.svc.Get(t.Context(), b.tenant, id)
		require.NoError(t, err)
		require.Equal(t, media.StatePending, m.State, "the caller may retry")
		require.Empty(t, filesIn(t, b.dir))
	})
	t.Run("TooLargeFails", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{cfg: func(c *media.Config) { c.MaxInboundBytes = 100 }})
		id := b.insertPending(t, uuid.Must(uuid.NewV7()), "application/pdf", "a.pdf", 0)
		err := b.svc.StorePending(t.Context(), b.tenant, id, bytes.NewReader(padded(pdfBytes(), 101)))
		require.ErrorIs(t, err, media.ErrTooLarge)
		m, err := b.svc.Get(t.Context(), b.tenant, id)
		require.NoError(t, err)
		require.Equal(t, media.StateFailed, m.State)
		require.Contains(t, m.Error, "larger")
		require.Empty(t, filesIn(t, b.dir))
	})
	t.Run("FailPending", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		id := b.insertPending(t, uuid.Must(uuid.NewV7()), "image/jpeg", "", 10)
		require.NoError(t, b.svc.FailPending(t.Context(), b.tenant, id, "the phone no longer has the file"))
		require.NoError(t, b.svc.StorePending(t.Context(), b.tenant, id, bytes.NewReader(jpegBytes(t))), "settled: nothing to do")
		m, err := b.svc.Get(t.Context(), b.tenant, id)
		require.NoError(t, err)
		require.Equal(t, media.StateFailed, m.State)
		require.Equal(t, "the phone no longer has the file", m.Error)
		require.Empty(t, filesIn(t, b.dir))
	})
	t.Run("OtherTenant", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		id := b.insertPending(t, uuid.Must(uuid.NewV7()), "image/jpeg", "", 10)
		other := b.newTenant(t, "Other")
		err := b.svc.StorePending(t.Context(), other, id, bytes.NewReader(jpegBytes(t)))
		require.True(t, errors.Is(err, media.ErrNotFound))
		require.NoError(t, b.svc.FailPending(t.Context(), other, id, "x"))
		m, err := b.svc.Get(t.Context(), b.tenant, id)
		require.NoError(t, err)
		require.Equal(t, media.StatePending, m.State, "another tenant cannot settle it")
	})
	t.Run("ListPending", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		ctx := t.Context()
		s1, s2 := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
		a := b.insertPending(t, s1, "image/jpeg", "a.jpg", 10)
		c := b.insertPending(t, s1, "image/jpeg", "c.jpg", 10)
		done := b.insertPending(t, s1, "application/pdf", "", 10)
		require.NoError(t, b.svc.StorePending(ctx, b.tenant, done, bytes.NewReader(pdfBytes())))
		b.insertPending(t, s2, "image/jpeg", "other session.jpg", 10)

		list, err := b.svc.ListPending(ctx, s1, time.Now().Add(time.Minute), 10)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, a, list[0].ID, "oldest first")
		require.Equal(t, c, list[1].ID)
		require.Equal(t, b.tenant, list[0].TenantID)
		require.Equal(t, s1, list[0].SessionID)
		require.Equal(t, []byte("handle"), list[0].Handle)
		require.Equal(t, "a.jpg", list[0].FileName)

		list, err = b.svc.ListPending(ctx, s1, time.Now().Add(time.Minute), 1)
		require.NoError(t, err)
		require.Len(t, list, 1)
		list, err = b.svc.ListPending(ctx, s1, time.Now().Add(-time.Hour), 10)
		require.NoError(t, err)
		require.Empty(t, list, "media younger than the grace is left to its first fetch")
	})
}
