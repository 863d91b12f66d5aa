package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/web/httpx"
)

var installErrorsOnce sync.Once

// installErrors makes Huma build every error the way the rest of the app does. Huma routes never
// reach Fiber's error handler, so without this a domain error returned by an operation would be an
// unlogged 500. Huma keeps its error constructors in package variables: they are set once per
// process (every app in it shares them, and they hold no state of their own).
func installErrors() {
	installErrorsOnce.Do(func() {
		huma.NewError = newError
		huma.NewErrorWithContext = newErrorWithContext
	})
}

// newErrorWithContext is Huma's hook for every error it answers. An error from our own code (an
// operation's returned error, which Huma hands over as a 500 with the error attached) goes through
// httpx.ProblemFor, the one table from errors to statuses, which also logs 5xx; Huma's own errors
// (validation, body too large, …) keep their status in the same problem shape.
func newErrorWithContext(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
	ctx := hctx.Context()
	if status >= http.StatusInternalServerError {
		for _, err := range errs {
			var d huma.ErrorDetailer
			if err == nil || errors.As(err, &d) {
				continue
			}
			p := httpx.ProblemFor(ctx, loggerFrom(ctx), err)
			if p.RetryAfter > 0 {
				hctx.SetHeader(fiber.HeaderRetryAfter, httpx.RetryAfterSeconds(p.RetryAfter))
			}
			return p.Body()
		}
		loggerFrom(ctx).ErrorContext(ctx, "request failed", "status", status, "detail", msg, "request_id", httpx.RequestID(ctx))
	}
	return newError(status, msg, errs...)
}

// newError is Huma's error in our problem shape: type about:blank, the status text as title, the
// message as a sentence, and field details in errors[].
func newError(status int, msg string, errs ...error) huma.StatusError {
	m := httpx.Problem{Status: status, Title: http.StatusText(status), Detail: httpx.Sentence(msg)}.Model()
	if msg == "validation failed" {
		m.Detail = "Some fields need your attention." // as httpx.ProblemFor words a *validate.Errors
	}
	for _, err := range errs {
		var d huma.ErrorDetailer
		switch {
		case err == nil:
		case errors.As(err, &d):
			m.Errors = append(m.Errors, d.ErrorDetail())
		default:
			m.Errors = append(m.Errors, &huma.ErrorDetail{Message: err.Error()})
		}
	}
	return m
}

func loggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(logKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return slog.Default()
}

// unmatched answers whatever reached Prefix without matching an operation or document: 405 with
// Allow when the path exists for other methods, 404 otherwise. Both go through Fiber's error
// handler, which writes them as problem+json.
func unmatched(a huma.API) fiber.Handler {
	type route struct {
		re      *regexp.Regexp
		methods []string
	}
	var routes []route
	add := func(p string, methods ...string) {
		pattern := regexp.MustCompile(`\\\{[^/]+?\\\}`).ReplaceAllString(regexp.QuoteMeta(p), `[^/]+`)
		routes = append(routes, route{re: regexp.MustCompile(`(?i)^` + Prefix + pattern + `/?$`), methods: methods})
	}
	for _, suffix := range []string{".json", ".yaml", "-3.0.json", "-3.0.yaml"} {
		add(strings.TrimSuffix(strings.TrimPrefix(OpenAPIPath, Prefix), ".json")+suffix, http.MethodGet)
	}
	for p, item := range a.OpenAPI().Paths {
		var methods []string
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Options, item.Head, item.Patch, item.Trace} {
			if op != nil {
				methods = append(methods, op.Method)
			}
		}
		slices.Sort(methods)
		add(p, methods...)
	}
	return func(c *fiber.Ctx) error {
		for _, r := range routes {
			if r.re.MatchString(c.Path()) {
				allow := strings.Join(r.methods, ", ")
				c.Set(fiber.HeaderAllow, allow)
				return fiber.NewError(http.StatusMethodNotAllowed, fmt.Sprintf("This route does not answer %s; it answers %s.", c.Method(), allow))
			}
		}
		return fiber.NewError(http.StatusNotFound, fmt.Sprintf("No API route matches %s %s. The routes are listed in %s.", c.Method(), c.Path(), OpenAPIPath))
	}
}
