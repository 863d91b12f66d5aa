// Package static owns the browser assets embedded into the wagate binary: the
// files scripts/build-static writes to static/dist (Bulma, htmx 2.x and its SSE
// extension from npm, plus our own CSS, JS and images from static/src), and the
// cache-busting URLs the views link them by.
//
// It imports nothing from the rest of the module; the web server mounts FS() at
// Prefix and views call URL. Assets are immutable for the life of a binary, so a
// server may cache responses for versioned URLs (those with ?v=) for a long time.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"strings"
	"sync"
)

// Prefix is the URL path under which the server mounts FS().
const Prefix = "/static/"

// hashLen is the number of hex digits of the SHA-256 content hash put in URLs.
const hashLen = 10

//go:embed all:dist
var embedded embed.FS

var dist = mustSub(embedded, "dist")

// FS returns the built asset tree (static/dist), with paths such as
// "css/bulma.min.css" and "js/htmx.min.js". It holds only .gitkeep until
// scripts/build-static has run.
func FS() fs.FS {
	return dist
}

// URL returns the public URL of the asset name (a path inside FS, such as
// "css/app.css"), with a short content hash as query string so browsers fetch
// a new copy whenever the file changes: "/static/css/app.css?v=3f2a9c01d4".
// A name that is not in FS gets its plain URL, "/static/" + name.
func URL(name string) string {
	name = strings.TrimPrefix(name, "/")
	if h, ok := hashes()[name]; ok {
		return Prefix + name + "?v=" + h
	}
	return Prefix + name
}

// hashes maps each file in FS to its short content hash. It walks the tree once,
// on first use; the embedded files never change afterwards.
var hashes = sync.OnceValue(func() map[string]string {
	m := make(map[string]string)
	err := fs.WalkDir(dist, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(dist, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[p] = hex.EncodeToString(sum[:])[:hashLen]
		return nil
	})
	if err != nil {
		// An embed.FS cannot fail to read its own files.
		panic("static: hashing embedded assets: " + err.Error())
	}
	return m
})

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic("static: " + err.Error())
	}
	return sub
}
