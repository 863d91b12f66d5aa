package bench

import (
	"context"
	"io"
	"log"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/wagate/wagate/internal/dbtest"
)

func TestMain(m *testing.M) {
	// Libraries' own chatter goes to stderr, which `go test` mixes into the benchmark result lines
	// and so breaks the tools that read them: scs's pgxstore (webtest's logins) runs a cleanup every
	// 5 minutes that outlives each app and then prints "closed pool"; go-redis prints a warning for
	// each client made from a copy of another's options. Neither says anything about the figures.
	log.SetOutput(io.Discard)
	redis.SetLogger(quiet{})
	dbtest.Main(m)
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
