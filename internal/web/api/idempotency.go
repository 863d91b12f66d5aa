package api

import (
	"crypto/sha256"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humafiber"

	"github.com/wagate/wagate/internal/message"
)

// idempotencyKeyHeader makes a POST safe to retry (DESIGN.md Contracts; draft-ietf-httpapi-idempotency-key-header).
const idempotencyKeyHeader = "Idempotency-Key"

// headerReplayed marks an answer that is the replay of an earlier one.
const headerReplayed = "Idempotent-Replayed"

// maxIdempotencyKey is the longest key accepted: room for any UUID or hash a client makes.
const maxIdempotencyKey = 255

// sendMessageInput is POST /messages. Its Resolve runs after Huma read the body: it checks the
// Idempotency-Key and fingerprints the request, so that the handler can hand the service a
// message.Idempotency.
type sendMessageInput struct {
	IdempotencyKey string `header:"Idempotency-Key" doc:"Makes retries safe: printable ASCII, 1 to 255 characters (a UUID is a good key). For 24 hours, the same key and body answer the first response again; another body with the key is refused (422)." example:"5f0c6a1e-8a1b-4bb4-9e39-0a6c2f9d7e11"`
	Body           SendMessage

	hash []byte // SHA-256 of method, path and raw body, once Resolve ran with a key
}

var _ huma.Resolver = (*sendMessageInput)(nil)

// Resolve checks the key and, when there is one, fingerprints the request as it came: the method,
// the path and the body's raw bytes (not the parsed body: two bodies that parse alike but differ in
// bytes are different requests, as a client that changed anything would expect).
func (in *sendMessageInput) Resolve(ctx huma.Context) []error {
	if in.IdempotencyKey == "" {
		return nil
	}
	if msg := checkIdempotencyKey(in.IdempotencyKey); msg != "" {
		return []error{&huma.ErrorDetail{Location: "header." + idempotencyKeyHeader, Message: msg, Value: in.IdempotencyKey}}
	}
	in.hash = requestHash(ctx.Method(), ctx.URL().Path, humafiber.Unwrap(ctx).Body())
	return nil
}

// checkIdempotencyKey returns what is wrong with key, or "".
func checkIdempotencyKey(key string) string {
	if len(key) > maxIdempotencyKey {
		return "Must be at most 255 characters."
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "Must be printable ASCII characters only (such as a UUID)."
		}
	}
	return ""
}

// requestHash is SHA-256 over the method, the path and the body, each length-prefixed so that no
// two different requests run together into the same bytes.
func requestHash(method, path string, body []byte) []byte {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(method), []byte(path), body} {
		n := len(part)
		_, _ = h.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
		_, _ = h.Write(part)
	}
	return h.Sum(nil)
}

// idempotency is the service's view of the request's key, or nil without one. render makes the
// response stored for replays.
func (in *sendMessageInput) idempotency(render func(message.Message, *message.MediaInfo) (int, []byte, error)) *message.Idempotency {
	if in.IdempotencyKey == "" || in.hash == nil {
		return nil
	}
	return &message.Idempotency{Key: in.IdempotencyKey, Hash: in.hash, Render: render}
}
