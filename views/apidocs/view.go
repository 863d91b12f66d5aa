// Package apidocs renders the portal's API reference page: how to authenticate, and the
// interactive reference mounted by the docs UI (installed from npm into static/dist by the API's
// build) on the OpenAPI document. It takes view models only.
package apidocs

import (
	"io/fs"

	"github.com/wagate/wagate/static"
)

// MountID is the element the docs UI's script mounts the reference into.
const MountID = "api-docs"

// Assets of the docs UI; the page links them only when the build holds them.
const (
	ScriptAsset = "js/api-docs.js"
	StyleAsset  = "css/api-docs.css"
)

// Page is the API docs page.
type Page struct {
	BaseURL    string // the API's base, e.g. https://wagate.example.com/api/v1
	OpenAPIURL string
}

// hasAsset reports whether the embedded build holds name.
func hasAsset(name string) bool {
	_, err := fs.Stat(static.FS(), name)
	return err == nil
}
