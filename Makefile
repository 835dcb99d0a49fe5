# meshbench — build, test, benchmark.
#
#   make build   the meshbench binary in ./bin
#   make test    everything a fresh clone needs (Debian packages, Go modules,
#                the lab's binaries), then every test
#   make bench   benchmarks, printed as ratios measured side by side

GO       ?= go
BIN      := $(CURDIR)/bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/meshbench/meshbench/results.Version=$(VERSION)
export PATH := $(BIN):$(PATH)

.PHONY: build deps test test-short bench clean fmt vet

build:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/meshbench ./cmd/meshbench

deps:
	@bash hack/install-deps.sh
	$(GO) mod download

vet:
	$(GO) vet ./...

# test installs what it needs, then runs every test. Tests that need root or
# network namespaces skip with a message where those are missing, but never
# when CI=true.
test: deps build vet
	$(GO) test -count=1 -timeout 45m ./...

# test-short runs the tests that need neither root nor the lab.
test-short:
	$(GO) test -short -count=1 ./...

bench: deps build
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
