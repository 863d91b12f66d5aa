// Command _preview is a throwaway server to look at views in a browser.
package main

import (
	"context"
	"io"
	"log"
	"net/http"
	"os"

	"github.com/a-h/templ"
	"github.com/wagate/wagate/static"
	"github.com/wagate/wagate/views/components"
	"github.com/wagate/wagate/views/home"
	"github.com/wagate/wagate/views/layout"
)

func main() {
	mux := http.NewServeMux()
	mux.Handle("/static/", http.StripPrefix("/static/", http.FileServerFS(static.FS())))
	mux.Handle("/{$}", templ.Handler(home.Index(home.Page{Version: "v0.1.0-dev"})))
	mux.Handle("/open", templ.Handler(home.Index(home.Page{Version: "v0.1.0-dev", SignupOpen: true})))
	mux.Handle("/404", templ.Handler(layout.ErrorPage(layout.ErrorPageModel{Status: 404, RequestID: "01JD8X4Z7K2M9QF3V6T1B0C5RA"}), templ.WithStatus(404)))
	mux.Handle("/500", templ.Handler(layout.ErrorPage(layout.ErrorPageModel{Status: 500, RequestID: "01JD8X4Z7K2M9QF3V6T1B0C5RA"}), templ.WithStatus(500)))
	mux.HandleFunc("/components", func(w http.ResponseWriter, r *http.Request) {
		btn := templ.Raw(`<a class="button is-primary wg-button" href="#">Link a number</a>`)
		empty := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			return components.EmptyState("No sessions yet", "Link your first WhatsApp number to start sending.").Render(templ.WithChildren(ctx, btn), w)
		})
		body := templ.Join(
			templ.Raw(`<section class="section"><div class="container" style="max-width:48rem">`),
			components.Flash("success", "Campaign scheduled."),
			components.Flash("error", "The session could not be reached."),
			components.Flash("warning", "You have used 90% of today's quota."),
			components.Flash("bogus", "Pairing code sent to +49 151 …"),
			templ.Raw(`<div class="tags">`),
			components.StatusTag("connected"), components.StatusTag("queued"), components.StatusTag("paused"),
			components.StatusTag("failed"), components.StatusTag("logged_out"), components.StatusTag("expired"),
			templ.Raw(`</div>`),
			empty,
			templ.Raw(`</div></section>`),
		)
		_ = layout.Base(layout.Head{Title: "Components", CSRFToken: `tok"en<&>'`}).Render(templ.WithChildren(r.Context(), body), w)
	})
	addr := os.Getenv("ADDR")
	log.Fatal(http.ListenAndServe(addr, mux))
}
