package portal

import (
	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/apidocs"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/paths"
)

func (h *handlers) showAPIDocs(c *fiber.Ctx) error {
	return httpx.Render(c, fiber.StatusOK, apidocs.Index(h.shell(c, "API docs", layout.NavAPIDocs), apidocs.Page{
		BaseURL: h.d.BaseURL + paths.APIBase, OpenAPIURL: paths.OpenAPIJSON,
	}))
}
