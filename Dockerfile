# Parley in a container: a static binary (no cgo; SQLite is pure Go) on Alpine, run as
# a non-root user, its state in the /data volume.
#
#   docker build -t parley .
#   docker run -d --name parley -p 8080:8080 -v parley-data:/data \
#     --ulimit nofile=1048576:1048576 parley
#
# Each connection is a descriptor: an image cannot raise the limit itself, so pass
# --ulimit (or the orchestrator's equivalent) for more than the runtime's default (often
# 1,048,576 already, sometimes 1,024). Parley raises its soft limit to the hard one and
# logs the capacity ("connection capacity"); /readyz reports it.
#
# README.md ("Operators") has the details: keys, backups, PostgreSQL.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/parley ./cmd/parley

# Alpine rather than distroless: the health check needs a client (busybox wget).
FROM alpine:3.21
RUN apk add --no-cache ca-certificates tzdata \
 && adduser -D -H -u 10001 -s /sbin/nologin parley \
 && mkdir /data && chown parley:parley /data && chmod 0700 /data
COPY --from=build /out/parley /usr/local/bin/parley
USER parley
ENV PARLEY_LISTEN=0.0.0.0:8080 \
    PARLEY_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
# /readyz answers 200 once the node takes traffic and 503 while it drains.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/readyz || exit 1
# SIGTERM (docker stop) drains in-flight requests for PARLEY_SHUTDOWN_GRACE (20 s):
# give docker stop a longer timeout, e.g. --stop-timeout 30.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/parley"]
CMD ["serve"]
