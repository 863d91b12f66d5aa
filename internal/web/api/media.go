package api

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humafiber"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/validate"
)

const tagMedia = "Media"

// Request body limits of POST /media beyond the plan's file size: a multipart body carries headers
// and boundaries around the file; a JSON body is only a URL.
const (
	multipartSlack = 64 << 10
	maxURLBody     = 16 << 10
)

// Media is a stored file.
type Media struct {
	ID           uuid.UUID  `json:"id" format:"uuid" doc:"The file's id: send it as media_id." example:"01966b1f-4d5e-7f60-8a7b-9c0d1e2f3a4b"`
	MIME         string     `json:"mime" doc:"The type, detected from the content (never taken from the request)." example:"image/jpeg"`
	Kind         string     `json:"kind" enum:"image,video,audio,document" doc:"What it is sent as." example:"image"`
	VoiceNote    bool       `json:"voice_note" doc:"OGG/Opus audio, sent as a voice note." example:"false"`
	Size         int64      `json:"size" doc:"Bytes." example:"48213"`
	SHA256       string     `json:"sha256" doc:"SHA-256 of the content, in hex; empty until stored." example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	FileName     string     `json:"file_name" doc:"The name recipients see for documents." example:"invoice-1042.pdf"`
	State        string     `json:"state" enum:"stored,pending,failed" doc:"stored; for received media, pending while it is being fetched from WhatsApp, or failed." example:"stored"`
	CreatedAt    time.Time  `json:"created_at" doc:"When it was stored." example:"2025-05-01T09:30:00Z"`
	URL          string     `json:"url" doc:"A link that downloads the file without a key, until url_expires_at; empty unless stored." example:"https://wagate.example.com/media/files/eyJr…"`
	URLExpiresAt *time.Time `json:"url_expires_at" nullable:"true" doc:"Until when url works (15 minutes); fetch the media again for a fresh one." example:"2025-05-01T09:45:00Z"`
}

type mediaIDPath struct {
	ID uuid.UUID `path:"id" format:"uuid" doc:"The file's id."`
}

// uploadMediaInput is POST /media. Huma reads no body for it: Resolve takes Fiber's buffered body as
// it is, so the multipart stream is parsed by the handler, which sees each part's file name exactly
// as sent (Go's multipart.Part.FileName would strip "../" silently; such names must be refused) and
// streams the file to disk without another copy in memory.
type uploadMediaInput struct {
	body        []byte
	contentType string
	length      int // the Content-Length header; negative when absent
}

var _ huma.Resolver = (*uploadMediaInput)(nil)

func (in *uploadMediaInput) Resolve(ctx huma.Context) []error {
	c := humafiber.Unwrap(ctx)
	in.body = c.Body()
	in.contentType = ctx.Header("Content-Type")
	in.length = c.Request().Header.ContentLength()
	return nil
}

type mediaOutput struct {
	Status   int
	Location string `header:"Location" doc:"The file: GET it for a fresh download link."`
	Body     Media
}

type mediaHandlers struct{ svc *media.Service }

func registerMedia(a huma.API, d Deps) {
	h := mediaHandlers{svc: d.Media}
	a.OpenAPI().Tags = append(a.OpenAPI().Tags, &huma.Tag{Name: tagMedia,
		Description: "Files to send: upload them (or have Wagate fetch them from a URL) once, then send them by media_id."})
	tags := []string{tagMedia}
	huma.Register(a, operation(huma.Operation{OperationID: "create-media", Method: http.MethodPost, Path: "/media", Tags: tags,
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity},
		Summary:       "Upload a file", Description: uploadDescription}, auth.ScopeSend), h.create)
	// Documented only: an operation's own RequestBody would make Huma read and decode the body itself.
	a.OpenAPI().Paths["/media"].Post.RequestBody = uploadBody
	huma.Register(a, operation(huma.Operation{OperationID: "get-media", Method: http.MethodGet, Path: "/media/{id}", Tags: tags,
		Errors: []int{http.StatusNotFound}, Summary: "Get a file",
		Description: "The file's details with a fresh download link (valid 15 minutes)."}, auth.ScopeRead), h.get)
}

const uploadDescription = `Stores a file to send later by ` + "`media_id`" + `. Either upload it as ` + "`multipart/form-data`" + ` in the
field ` + "`file`" + ` (its file name is kept for documents; a name with folders, ` + "`..`" + ` or control characters is refused
with 422), or send JSON ` + "`{\"url\": \"https://…\"}`" + ` and Wagate downloads it (http or https, at most 3 redirects and 30
seconds; addresses on private, loopback or link-local networks are refused with 422).

The type is detected from the content: ` + media.AllowedTypes + `. Anything else gets ` + "`415`" + `.
A file larger than the plan allows for one file, or one that would take the workspace past its plan's storage, gets
` + "`413`" + `. A refused file is not stored.`

// uploadBody documents the two shapes POST /media takes.
var uploadBody = &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
	"multipart/form-data": {Schema: &huma.Schema{Type: huma.TypeObject, Required: []string{"file"}, Properties: map[string]*huma.Schema{
		"file": {Type: huma.TypeString, Format: "binary", Description: "The file. Its name (filename in Content-Disposition) is kept."}}}},
	"application/json": {Schema: &huma.Schema{Type: huma.TypeObject, Required: []string{"url"}, Properties: map[string]*huma.Schema{
		"url": {Type: huma.TypeString, Format: "uri", MaxLength: ptr(2048), Description: "An http(s) URL to download the file from."}}},
		Example: map[string]any{"url": "https://example.com/invoice-1042.pdf"}},
}}

func ptr[T any](v T) *T { return &v }

func (h mediaHandlers) create(ctx context.Context, in *uploadMediaInput) (*mediaOutput, error) {
	tenantID := auth.TenantID(ctx)
	ct, params, err := mime.ParseMediaType(in.contentType)
	var m media.Media
	switch {
	case err == nil && ct == "multipart/form-data":
		m, err = h.upload(ctx, tenantID, in, params["boundary"])
	case err == nil && ct == "application/json":
		m, err = h.fetch(ctx, tenantID, in)
	default:
		return nil, huma.Error415UnsupportedMediaType(`Send the file as multipart/form-data in the field "file", or JSON {"url": "https://…"}.`)
	}
	if err != nil {
		return nil, err
	}
	return h.output(ctx, http.StatusCreated, m)
}

// upload stores the multipart body's "file" part. A body larger than the plan's file size (and the
// multipart framing) is refused from its length, before parsing.
func (h mediaHandlers) upload(ctx context.Context, tenantID uuid.UUID, in *uploadMediaInput, boundary string) (media.Media, error) {
	lim, err := h.svc.Limits(ctx, tenantID)
	if err != nil {
		return media.Media{}, err
	}
	if int64(max(in.length, len(in.body))) > lim.MaxBytes+multipartSlack {
		return media.Media{}, media.TooLarge(lim.MaxBytes)
	}
	mr := multipart.NewReader(bytes.NewReader(in.body), boundary)
	for {
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return media.Media{}, validate.Field("file", `Attach the file in the form field "file".`)
		} else if err != nil {
			return media.Media{}, huma.Error400BadRequest("The multipart body could not be read: " + err.Error())
		}
		if part.FormName() != "file" {
			continue
		}
		// The name exactly as sent: the service refuses what is not a plain name.
		_, cd, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		body := &partReader{r: part}
		m, err := h.svc.Upload(ctx, tenantID, cd["filename"], body, -1)
		if body.err != nil { // a broken body is the client's fault, not a failure of ours
			return m, huma.Error400BadRequest("The multipart body could not be read: " + body.err.Error())
		}
		return m, err
	}
}

// partReader remembers a failure to read the part (a truncated or malformed body).
type partReader struct {
	r   io.Reader
	err error
}

func (p *partReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != nil && !errors.Is(err, io.EOF) {
		p.err = err
	}
	return n, err
}

// fetch stores the file at the JSON body's url.
func (h mediaHandlers) fetch(ctx context.Context, tenantID uuid.UUID, in *uploadMediaInput) (media.Media, error) {
	if max(in.length, len(in.body)) > maxURLBody {
		return media.Media{}, huma.Error413RequestEntityTooLarge(`A JSON body is only {"url": "https://…"}: upload files as multipart/form-data.`)
	}
	var body struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(in.body, &body); err != nil {
		return media.Media{}, validate.Field("url", `The body must be JSON like {"url": "https://example.com/file.pdf"}.`)
	}
	if body.URL == "" {
		return media.Media{}, validate.Field("url", "This field is required.")
	}
	m, err := h.svc.Fetch(ctx, tenantID, body.URL)
	var ve *validate.Errors
	if errors.As(err, &ve) { // the service names the field as message sends do (media_url); here it is url
		if msg, ok := ve.Fields["media_url"]; ok {
			return m, validate.Field("url", msg)
		}
	}
	return m, err
}

func (h mediaHandlers) get(ctx context.Context, in *mediaIDPath) (*mediaOutput, error) {
	m, err := h.svc.Get(ctx, auth.TenantID(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return h.output(ctx, http.StatusOK, m)
}

// output is m with a fresh download link when its bytes are stored.
func (h mediaHandlers) output(ctx context.Context, status int, m media.Media) (*mediaOutput, error) {
	out := &mediaOutput{Status: status, Body: Media{ID: m.ID, MIME: m.MIME, Kind: string(m.Kind), VoiceNote: m.VoiceNote,
		Size: m.Size, SHA256: hex.EncodeToString(m.SHA256), FileName: m.FileName, State: m.State, CreatedAt: m.CreatedAt.UTC()}}
	if status == http.StatusCreated {
		out.Location = Prefix + "/media/" + m.ID.String()
	}
	if m.State == media.StateStored {
		u, exp, err := h.svc.URL(ctx, m)
		if err != nil {
			return nil, err
		}
		exp = exp.UTC()
		out.Body.URL, out.Body.URLExpiresAt = u, &exp
	}
	return out, nil
}
