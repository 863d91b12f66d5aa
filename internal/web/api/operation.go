package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/wagate/wagate/internal/web/httpx"
)

// Security scheme names in the OpenAPI document.
const (
	schemeBearer = "bearer"
	schemeHeader = "apiKey"
)

// Tags group operations in the documentation.
const tagAccount = "Account"

// scopeKey is the operation metadata entry naming the scope the guard checks.
const scopeKey = "wagate-scope"

// operation returns o as an authenticated operation that needs scope: the guard checks the scope
// (from o.Metadata), the document lists it in the operation's security requirement and description,
// and the errors every authenticated operation can answer are declared.
func operation(o huma.Operation, scope string) huma.Operation {
	if o.Metadata == nil {
		o.Metadata = map[string]any{}
	}
	o.Metadata[scopeKey] = scope
	o.Security = []map[string][]string{{schemeBearer: {scope}}, {schemeHeader: {scope}}}
	o.Description = strings.TrimSpace(o.Description + "\n\nNeeds a key with the `" + scope + "` scope.")
	o.Errors = append(o.Errors, http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests)
	return o
}

func intHeader(doc string, example int) *huma.Param {
	return &huma.Param{Description: doc, Schema: &huma.Schema{Type: huma.TypeInteger}, Example: example}
}

// problemExamples are what the errors every authenticated operation can answer look like.
var problemExamples = map[string]httpx.Problem{
	"401": {Status: http.StatusUnauthorized, Title: "Unauthorized", Detail: "Invalid or revoked API key."},
	"403": {Status: http.StatusForbidden, Title: "Forbidden", Detail: "This workspace is suspended."},
	"422": {Status: http.StatusUnprocessableEntity, Title: "Unprocessable Entity", Detail: "Some fields need your attention.",
		Fields: map[string]string{"name": "This field is required."}},
	"429": {Status: http.StatusTooManyRequests, Title: "Too Many Requests",
		Detail: "This workspace's plan allows 120 API requests a minute. Wait 1 second, then try again."},
	"500": {Status: http.StatusInternalServerError, Title: "Internal Server Error",
		Detail: "Something went wrong on our side. It has been logged; please try again."},
}

// documentResponses completes the responses of every authenticated operation: realistic problem
// examples, and the headers the guard sets: the rate limit (documented on successes and 429,
// though every answer past authentication has it), Retry-After on 429, WWW-Authenticate on 401.
func documentResponses(_ *huma.OpenAPI, op *huma.Operation) {
	if _, ok := op.Metadata[scopeKey]; !ok {
		return
	}
	for code, r := range op.Responses {
		if r.Headers == nil {
			r.Headers = map[string]*huma.Param{}
		}
		if ex, ok := problemExamples[code]; ok {
			if mt := r.Content[httpx.ProblemContentType]; mt != nil && mt.Example == nil {
				mt.Example = ex.Model()
			}
		}
		if code == strconv.Itoa(http.StatusUnauthorized) {
			r.Headers["WWW-Authenticate"] = &huma.Param{Description: "The authentication scheme to use: `Bearer`.",
				Schema: &huma.Schema{Type: huma.TypeString}, Example: `Bearer realm="wagate"`}
		}
		if !strings.HasPrefix(code, "2") && code != strconv.Itoa(http.StatusTooManyRequests) {
			continue // errors carry the limit too once the key passed, but it is no news there
		}
		r.Headers["RateLimit-Limit"] = intHeader("Requests a minute the workspace's plan allows.", 120)
		r.Headers["RateLimit-Remaining"] = intHeader("Requests left in the current allowance.", 119)
		r.Headers["RateLimit-Reset"] = intHeader("Seconds until the allowance is whole again.", 1)
		r.Headers["RateLimit-Policy"] = &huma.Param{Description: "The limit as a policy: requests per window of `w` seconds.",
			Schema: &huma.Schema{Type: huma.TypeString}, Example: "120;w=60"}
		if code == strconv.Itoa(http.StatusTooManyRequests) {
			r.Headers["Retry-After"] = intHeader("Seconds to wait before the next request.", 12)
		}
	}
}
