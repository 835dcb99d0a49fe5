# The meshbench image: the server, client and probe pods of `meshbench run`
# run this on a real cluster; the lab runs the same commands with its local
# binary. Static binary, minimal base, non-root.
#
#   docker build -t ghcr.io/meshbench/meshbench:dev .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/meshbench/meshbench/results.Version=${VERSION}" \
      -o /out/meshbench ./cmd/meshbench

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/meshbench /usr/local/bin/meshbench
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/meshbench"]
CMD ["serve", "--port", "8080"]
