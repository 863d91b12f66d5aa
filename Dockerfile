# syntax=docker/dockerfile:1
# Wagate image: one static binary (front-end assets embedded) on distroless.
#   docker build -t wagate:latest .        (docker-compose.yml does this for you)
#   docker run --rm wagate:latest version
# ENTRYPOINT is the binary, so `docker run wagate:latest migrate` runs `wagate migrate`.

# 1. Front-end assets: npm packages pinned by package-lock.json, copied into static/dist.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN scripts/build-static

# 2. The binary, fully static (no cgo), with static/dist embedded by go:embed.
FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=assets /src/static/dist/ ./static/dist/
ARG VERSION=docker
RUN go build -trimpath -buildvcs=false -ldflags "-s -w -X main.version=${VERSION}" -o /wagate ./cmd/wagate

# 3. Runtime: CA certificates and tzdata, no shell, unprivileged user (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /wagate /wagate
# MEDIA_DIR is only used when no S3 bucket is configured; give it a writable home.
WORKDIR /home/nonroot
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/wagate"]
CMD ["serve"]
