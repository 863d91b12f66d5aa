package static

import (
	"io/fs"
	"regexp"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestURL(t *testing.T) {
	t.Parallel()

	t.Run("KnownFileGetsContentHash", func(t *testing.T) {
		t.Parallel()
		// .gitkeep is committed, so it is embedded even before build-static runs.
		require.Regexp(t, regexp.MustCompile(`^/static/\.gitkeep\?v=[0-9a-f]{10}$`), URL(".gitkeep"))
		require.Equal(t, URL(".gitkeep"), URL("/.gitkeep"))
	})

	t.Run("UnknownFileGetsPlainURL", func(t *testing.T) {
		t.Parallel()
		require.Equal(t, "/static/css/missing.css", URL("css/missing.css"))
	})

	t.Run("EveryEmbeddedFileIsHashed", func(t *testing.T) {
		t.Parallel()
		err := fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			require.Contains(t, URL(p), "?v=", p)
			return nil
		})
		require.NoError(t, err)
	})

	t.Run("ConcurrentUse", func(t *testing.T) {
		t.Parallel()
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { _ = URL("css/app.css") })
		}
		wg.Wait()
	})
}
