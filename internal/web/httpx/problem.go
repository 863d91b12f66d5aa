package httpx

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2"
)

// ProblemContentType is RFC 9457's media type for JSON problem details.
const ProblemContentType = "application/problem+json"

// ProblemType is the type of every problem we answer: RFC 9457's "about:blank", meaning the status
// code says what kind of problem it is and the detail says the rest.
const ProblemType = "about:blank"

// Model returns p as an RFC 9457 problem in Huma's shape (huma.ErrorModel): type, title, status,
// detail and, for invalid fields, errors[] with location "body.<field>" in field order. The REST API
// (Huma operations) and Fiber's error handler both answer with it, so every JSON error has one shape.
func (p Problem) Model() *huma.ErrorModel {
	m := &huma.ErrorModel{Type: ProblemType, Title: p.Title, Status: p.Status, Detail: p.Detail}
	fields := make([]string, 0, len(p.Fields))
	for f := range p.Fields {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	for _, f := range fields {
		m.Errors = append(m.Errors, &huma.ErrorDetail{Message: p.Fields[f], Location: "body." + f})
	}
	return m
}

// Body is what p answers with: Model, plus p's extension members when it has any.
func (p Problem) Body() huma.StatusError {
	m := p.Model()
	if len(p.Extensions) == 0 {
		return m
	}
	return &extendedProblem{ErrorModel: m, ext: p.Extensions}
}

// extendedProblem is Huma's error model with RFC 9457 extension members after the standard ones.
type extendedProblem struct {
	*huma.ErrorModel
	ext map[string]any
}

// MarshalJSON writes the standard members as Huma does, then the extensions in key order.
func (e *extendedProblem) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(e.ErrorModel)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(e.ext))
	for k := range e.ext {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = b[:len(b)-1] // the closing brace
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(e.ext[k])
		if err != nil {
			return nil, err
		}
		b = append(append(append(append(b, ','), kb...), ':'), vb...)
	}
	return append(b, '}'), nil
}

// RetryAfterSeconds renders d for a Retry-After header: whole seconds, rounded up, at least 1.
func RetryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(int(math.Ceil(d.Seconds())), 1))
}

// WriteProblem answers with p as application/problem+json, with Retry-After when p says how long
// to wait.
func WriteProblem(c *fiber.Ctx, p Problem) error {
	if p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, RetryAfterSeconds(p.RetryAfter))
	}
	return c.Status(p.Status).JSON(p.Body(), ProblemContentType)
}
