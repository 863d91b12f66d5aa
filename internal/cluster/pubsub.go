package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Prefix starts every Redis key and channel of ours (DESIGN.md, Redis layout).
const Prefix = "wagate:"

// PubSub publishes and subscribes on Redis channels, prefixed with "wagate:". Messages are hints for
// liveness (pages, holders waking up): nothing may depend on one arriving, because Redis pub/sub
// drops what nobody listens to and everything while a subscriber reconnects.
type PubSub struct{ rdb redis.UniversalClient }

// NewPubSub returns a PubSub on rdb.
func NewPubSub(rdb redis.UniversalClient) *PubSub { return &PubSub{rdb: rdb} }

// Channel is the full name of a channel: Prefix + the parts joined with ':'.
func Channel(parts ...string) string { return Prefix + strings.Join(parts, ":") }

// Publish sends v as JSON on channel (a full name from Channel).
func (p *PubSub) Publish(ctx context.Context, channel string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("publish on %s: %w", channel, err)
	}
	if err := p.rdb.Publish(ctx, channel, b).Err(); err != nil {
		return fmt.Errorf("publish on %s: %w", channel, err)
	}
	return nil
}

// Message is one message received.
type Message struct {
	Channel string
	Payload []byte
}

// Subscribe listens on channels until ctx ends; the returned channel closes then. It returns once the
// subscription is confirmed, so a message published after it returns is not missed (while Redis stays
// up). Slow readers lose messages rather than blocking Redis (go-redis drops after its own buffer).
func (p *PubSub) Subscribe(ctx context.Context, channels ...string) (<-chan Message, error) {
	sub := p.rdb.Subscribe(ctx, channels...)
	if _, err := sub.Receive(ctx); err != nil {
		_ = sub.Close()
		return nil, fmt.Errorf("subscribe to %v: %w", channels, err)
	}
	out := make(chan Message, 64)
	in := sub.Channel()
	go func() {
		defer close(out)
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- Message{Channel: m.Channel, Payload: []byte(m.Payload)}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
