package web

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

type health struct{ checks map[string]Check }

// alive answers as long as the process serves HTTP: a liveness probe must not depend on Postgres,
// or an outage there would get every instance restarted for nothing.
func (h health) alive(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// ready answers 200 only when every dependency (Postgres, Redis) answers within two seconds.
func (h health) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	results := make(map[string]string, len(h.checks))
	ok := true
	for name, check := range h.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := "ok"
			if err := check(ctx); err != nil {
				res = "unavailable"
			}
			mu.Lock()
			defer mu.Unlock()
			results[name] = res
			if res != "ok" {
				ok = false
			}
		}()
	}
	wg.Wait()
	status := fiber.StatusOK
	if !ok {
		status = fiber.StatusServiceUnavailable
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(fiber.Map{"status": map[bool]string{true: "ok", false: "unavailable"}[ok], "checks": results})
}
