// Package s3 keeps media in an S3-compatible bucket (AWS, MinIO, Ceph …) through aws-sdk-go-v2. It is
// the only importer of the AWS SDK. It satisfies media.Store without importing package media (which
// chooses between it and the local disk), so it speaks in plain strings and fs.ErrNotExist.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/wagate/wagate/internal/config"
)

// Store is a bucket.
type Store struct {
	client  *awss3.Client
	presign *awss3.PresignClient // on the public endpoint: links go to browsers and WhatsApp users
	bucket  string
}

// New returns the store for cfg (cfg.Bucket must be set). It does not touch the network.
func New(ctx context.Context, cfg config.S3) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3: no bucket configured")
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(cfg.Region)}
	if cfg.AccessKeyID != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")))
	}
	// The default config builds its HTTP client itself and loads AWS_CA_BUNDLE into it; passing our
	// own client (config.WithHTTPClient) fails when that variable is set (DESIGN.md traps).
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3: load aws config: %w", err)
	}
	clientFor := func(endpoint string) *awss3.Client {
		return awss3.NewFromConfig(awsCfg, func(o *awss3.Options) {
			if endpoint != "" {
				o.BaseEndpoint = aws.String(endpoint)
			}
			// MinIO and most self-hosted stores have no virtual-host buckets.
			o.UsePathStyle = true
			// The SDK's default checksum trailers are rejected or stored wrongly by older MinIO, Ceph
			// and gofakes3 (DESIGN.md traps).
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		})
	}
	s := &Store{client: clientFor(cfg.Endpoint), bucket: cfg.Bucket}
	public := cfg.PublicEndpoint
	if public == "" {
		public = cfg.Endpoint
	}
	// The server may reach the store as minio:9000, which no browser can: links are signed for the
	// public endpoint, by a client of their own (the host is part of the signature).
	s.presign = awss3.NewPresignClient(clientFor(public))
	return s, nil
}

// Put uploads body. It must be seekable: the SDK then signs the payload and sends its length, where a
// stream would go out in aws-chunked encoding that some stores save verbatim (DESIGN.md traps).
func (s *Store) Put(ctx context.Context, key string, body io.ReadSeeker, size int64, mimeType string) error {
	_, err := s.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key), Body: body,
		ContentLength: aws.Int64(size), ContentType: aws.String(mimeType),
	})
	if err != nil {
		return fmt.Errorf("s3 put %s: %w", key, err)
	}
	return nil
}

// Open streams the object; a missing key is fs.ErrNotExist.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	var noKey *types.NoSuchKey
	if errors.As(err, &noKey) {
		return nil, fmt.Errorf("s3 get %s: %w", key, fs.ErrNotExist)
	} else if err != nil {
		return nil, fmt.Errorf("s3 get %s: %w", key, err)
	}
	return out.Body, nil
}

// Delete removes the object; a missing key is no error (S3 answers 204 either way).
func (s *Store) Delete(ctx context.Context, key string) error {
	if _, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}); err != nil {
		return fmt.Errorf("s3 delete %s: %w", key, err)
	}
	return nil
}

// URL presigns a GET of key valid for ttl, on the public endpoint, asking the store to answer with
// mimeType and, when fileName is set, a Content-Disposition naming it.
func (s *Store) URL(ctx context.Context, key, fileName, mimeType string, ttl time.Duration) (string, error) {
	in := &awss3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}
	if mimeType != "" {
		in.ResponseContentType = aws.String(mimeType)
	}
	if cd := mime.FormatMediaType("attachment", map[string]string{"filename": fileName}); fileName != "" && cd != "" {
		in.ResponseContentDisposition = aws.String(cd)
	}
	req, err := s.presign.PresignGetObject(ctx, in, awss3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("s3 presign %s: %w", key, err)
	}
	return req.URL, nil
}
