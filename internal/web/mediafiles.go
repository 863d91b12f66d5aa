package web

import (
	"mime"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
)

// mediaFile serves a local-disk download link (media.FilesPath + token; with S3 the links point at the
// bucket and every token here is 404). The token is the credential: no login, no API key. The
// service checks its signature and expiry. The file goes out as an attachment with its stored type,
// never sniffed and never run as a page of ours, since inbound files carry the type their sender
// declared.
func (s *Server) mediaFile(c *fiber.Ctx) error {
	if s.svc.Media == nil {
		return fiber.ErrNotFound
	}
	d, err := s.svc.Media.OpenLink(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	ct := d.MIME
	if ct == "" {
		ct = fiber.MIMEOctetStream
	}
	c.Set(fiber.HeaderContentType, ct)
	disposition := "attachment"
	if named := mime.FormatMediaType("attachment", map[string]string{"filename": d.FileName}); d.FileName != "" && named != "" {
		disposition = named
	}
	c.Set(fiber.HeaderContentDisposition, disposition)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; sandbox")
	// Only the holder of the link may keep it, and no longer than the link lives.
	c.Set(fiber.HeaderCacheControl, "private, max-age="+strconv.Itoa(max(int(time.Until(d.Expires).Seconds()), 0)))
	return c.SendStream(d.Body, int(d.Size)) // fasthttp closes the file once sent
}
