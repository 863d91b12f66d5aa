package media_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/whatsapp"
)

func TestCleanFileName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 200) // 400 bytes
	for in, want := range map[string]string{
		"photo.png":           "photo.png",
		"  photo.png ":        "photo.png",
		"../../etc/passwd":    "passwd",
		`C:\Users\me\cv.pdf`:  "cv.pdf",
		"dir/":                "",
		"..":                  "",
		".":                   "",
		"a\x00b\nc\u0085.txt": "abc.txt",
		"bad\xffutf8.txt":     "badutf8.txt",
		".hidden":             ".hidden",
		long:                  strings.Repeat("é", 127),
	} {
		require.Equal(t, want, media.CleanFileName(in), "CleanFileName(%q)", in)
	}
}

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 bytes", 1: "1 byte", 1000: "1000 bytes", 1024: "1 KiB", 1536: "1.5 KiB", 2000: "1.95 KiB",
		16 << 20: "16 MiB", 1 << 30: "1 GiB", 100 << 20: "100 MiB"} {
		require.Equal(t, want, media.FormatBytes(n), "FormatBytes(%d)", n)
	}
}

func TestKindOf(t *testing.T) {
	t.Parallel()
	for mime, want := range map[string]whatsapp.Kind{
		"image/jpeg": whatsapp.KindImage, "image/webp": whatsapp.KindImage, "video/mp4": whatsapp.KindVideo,
		"audio/ogg; codecs=opus": whatsapp.KindAudio, "audio/mpeg": whatsapp.KindAudio, "audio/x-m4a": whatsapp.KindAudio,
		"application/pdf": whatsapp.KindDocument, "text/plain; charset=utf-8": whatsapp.KindDocument, "": whatsapp.KindDocument,
	} {
		require.Equal(t, want, media.KindOf(mime), "KindOf(%q)", mime)
	}
	require.True(t, media.IsVoiceNote("audio/ogg; codecs=opus"))
	require.True(t, media.IsVoiceNote(`audio/ogg; codecs="opus"`))
	require.False(t, media.IsVoiceNote("audio/ogg"))
	require.False(t, media.IsVoiceNote("audio/mpeg"))
}
