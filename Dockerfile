# syntax=docker/dockerfile:1

# Build: a static binary (no cgo), reproducible paths, no symbol tables.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /foyer ./cmd/foyer

# Run: distroless static, as the image's non-root user (uid 65532). No shell
# and no curl, so probes go through the orchestrator: GET /healthz (liveness)
# and GET /readyz (Redis reachable). SIGTERM drains in-flight requests for
# FOYER_SHUTDOWN_TIMEOUT (10 s by default), then exits.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /foyer /foyer
ENV FOYER_ADDR=0.0.0.0:3001
# 3001: the public API; 9090: /metrics when FOYER_METRICS_ADDR=0.0.0.0:9090
# (never published to the world: see deploy/compose.yaml).
EXPOSE 3001 9090
USER nonroot:nonroot
ENTRYPOINT ["/foyer"]
