# meshbench — build, test, benchmark.
#
#   make build   the meshbench binary in ./bin
#   make lab     everything `meshbench lab up` needs in ./bin: meshbench, the lab's
#                kube-apiserver, kube-scheduler, kube-controller-manager, kube-proxy
#                and kube-router, and the CNI plugins (built once, then reused)
#   make lab-cilium  the lab's Cilium engine in ./bin: cilium-agent, cilium-cni
#                and Cilium's BPF sources (`meshbench lab up --engine cilium`)
#   make test    everything a fresh clone needs (Debian packages, Go modules,
#                the lab's binaries), then every test
#   make bench   benchmarks, printed as ratios measured side by side
#   make demo    the main job on the embedded lab: lab up, the Romana study
#                (NetworkPolicy steps × response sizes), the table, lab down

GO       ?= go
BIN      := $(CURDIR)/bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/meshbench/meshbench/results.Version=$(VERSION)
export PATH := $(BIN):$(PATH)

.PHONY: build deps lab lab-cilium test test-cilium test-short bench demo clean fmt vet

build:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/meshbench ./cmd/meshbench

# The lab's components come from the separate module lab/components (pinned
# k8s.io/kubernetes and kube-router). One go build makes all five so they share
# one compile of their common packages; it reruns only when the module changes.
LAB_COMPONENTS := kube-apiserver kube-scheduler kube-controller-manager kube-proxy kube-router
LAB_BINS       := $(addprefix $(BIN)/,$(LAB_COMPONENTS))
# Cilium's build flags (static, pure-Go user lookup).
COMPONENT_FLAGS := -trimpath -tags osusergo
LAB_SOURCES    := lab/components/go.mod lab/components/go.sum $(wildcard lab/components/cmd/*/*.go)
# The versions the binaries report (kube-apiserver's /version goes into
# results), taken from the module's requirements.
K8S_VERSION    := $(shell awk '$$1 == "k8s.io/kubernetes" && $$2 ~ /^v/ {print $$2; exit}' lab/components/go.mod)
ROUTER_VERSION := $(shell awk '$$1 == "github.com/cloudnativelabs/kube-router/v2" && $$2 ~ /^v/ {print $$2; exit}' lab/components/go.mod)
LAB_LDFLAGS    := -s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$(ROUTER_VERSION) $(foreach v,gitVersion=$(K8S_VERSION) gitMajor=$(word 2,$(subst ., ,$(K8S_VERSION:v%=x.%))) gitMinor=$(word 3,$(subst ., ,$(K8S_VERSION:v%=x.%))) gitTreeState=clean,-X k8s.io/component-base/version.$(v))

# The CNI plugins the node agents call through libcni, from the reference
# plugins module at a pinned version (go install builds them with that
# module's own go.mod).
CNI_PLUGINS_VERSION := v1.10.0
CNI_PLUGINS         := main/ptp main/bridge ipam/host-local main/loopback
CNI_STAMP           := $(BIN)/.cni-plugins-$(CNI_PLUGINS_VERSION)-$(words $(CNI_PLUGINS))

# flanneld, the vxlan network's overlay, from the pinned release in
# lab/flannel/go.mod, built in a copy of its own module (its go.mod and
# go.sum) so its dependencies never reach meshbench's. The copy leaves out
# two backends the lab never uses: udp (needs cgo) and tencentvpc (the module
# proxy refuses its cloud SDK's version); vxlan and the rest are as released.
FLANNEL_VERSION := $(shell awk '{for (i = 1; i < NF; i++) if ($$i == "github.com/flannel-io/flannel") {print $$(i+1); exit}}' lab/flannel/go.mod)
FLANNEL_SRC     := $(BIN)/.flannel-src

lab: build $(LAB_BINS) $(CNI_STAMP) $(BIN)/flanneld

$(LAB_BINS) &: $(LAB_SOURCES)
	@mkdir -p $(BIN)
	@echo "make lab: building kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy (k8s.io/kubernetes $(K8S_VERSION)) and kube-router $(ROUTER_VERSION) in one go build."
	@echo "make lab: the first build takes about 30 minutes on 2 cores and prints nothing meanwhile; later ones reuse Go's build cache (seconds)."
	cd lab/components && $(GO) build -ldflags '$(LAB_LDFLAGS)' -o $(BIN)/ $(addprefix ./cmd/,$(LAB_COMPONENTS))
	@touch $(LAB_BINS)

$(CNI_STAMP):
	@mkdir -p $(BIN)
	@echo "make lab: building the CNI plugins $(notdir $(CNI_PLUGINS)) $(CNI_PLUGINS_VERSION) (about 20 seconds the first time)"
	GOBIN=$(BIN) CGO_ENABLED=0 $(GO) install -trimpath -ldflags '-s -w' $(foreach p,$(CNI_PLUGINS),github.com/containernetworking/plugins/plugins/$(p)@$(CNI_PLUGINS_VERSION))
	@rm -f $(BIN)/.cni-plugins-*
	@touch $@

$(BIN)/flanneld: lab/flannel/go.mod lab/flannel/go.sum
	@mkdir -p $(BIN)
	@echo "make lab: building flanneld $(FLANNEL_VERSION) (about 4 minutes of CPU the first time)"
	rm -rf $(FLANNEL_SRC)
	cd lab/flannel && $(GO) mod download github.com/flannel-io/flannel && cp -r "$$($(GO) list -m -f '{{.Dir}}' github.com/flannel-io/flannel)" $(FLANNEL_SRC)
	chmod -R u+w $(FLANNEL_SRC)
	sed -i -e '/pkg\/backend\/udp"/d' -e '/pkg\/backend\/tencentvpc"/d' $(FLANNEL_SRC)/main.go
	cd $(FLANNEL_SRC) && $(GO) mod edit -droprequire=github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vpc && \
	  CGO_ENABLED=0 $(GO) build -mod=mod -trimpath -ldflags '-s -w -X github.com/flannel-io/flannel/pkg/version.Version=$(FLANNEL_VERSION)' -o $(BIN)/flanneld .
	rm -rf $(FLANNEL_SRC)
# The lab's Cilium engine comes from the module lab/components/cilium (the
# Cilium release meshbench's go.mod pins; a module of its own because Cilium
# and kube-router need different netlink releases). Its Kubernetes modules are
# pinned to lab/components', so 354 of the 1,131 packages both graphs build
# have identical inputs (Cilium needs newer golang.org/x, grpc and otel
# releases than Kubernetes v1.36.3 pins, which changes the rest); Go's build
# cache would compile those once only if both builds used the same flags, and
# lab/components is built with cgo and without -trimpath, so today nothing is
# shared. The agent compiles its datapath at run time from the module's bpf/
# sources, copied into bin/cilium/bpf (its --lib-dir).
CILIUM_BINS    := $(BIN)/cilium-agent $(BIN)/cilium-cni
CILIUM_SOURCES := lab/components/cilium/go.mod lab/components/cilium/go.sum $(wildcard lab/components/cilium/cmd/*/*.go)
CILIUM_VERSION := $(shell awk '{for (i = 1; i < NF; i++) if ($$i == "github.com/cilium/cilium" && $$(i+1) ~ /^v/) {print $$(i+1); exit}}' lab/components/cilium/go.mod)
CILIUM_BPF     := $(BIN)/cilium/bpf/.copied

lab-cilium: lab $(CILIUM_BINS) $(CILIUM_BPF)

$(CILIUM_BINS) &: $(CILIUM_SOURCES)
	@mkdir -p $(BIN)
	@echo "make lab-cilium: building cilium-agent and cilium-cni (github.com/cilium/cilium $(CILIUM_VERSION)) in one go build."
	@echo "make lab-cilium: the first build takes 20-45 minutes on 2 cores (about 24 min of CPU) and prints nothing meanwhile."
	cd lab/components/cilium && CGO_ENABLED=0 $(GO) build $(COMPONENT_FLAGS) -ldflags '-s -w -X github.com/cilium/cilium/pkg/version.ciliumVersion=$(CILIUM_VERSION:v%=%)' -o $(BIN)/ ./cmd/cilium-agent ./cmd/cilium-cni
	@touch $(CILIUM_BINS)

$(CILIUM_BPF): lab/components/cilium/go.mod
	@rm -rf $(BIN)/cilium/bpf && mkdir -p $(BIN)/cilium
	cp -r "$$(cd lab/components/cilium && $(GO) list -m -f '{{.Dir}}' github.com/cilium/cilium)/bpf" $(BIN)/cilium/bpf
	chmod -R u+w $(BIN)/cilium/bpf
	@# Cilium's BPF unit-test harness is Go: under bin/ it would join ./... (vet, test)
	find $(BIN)/cilium/bpf -name '*.go' -delete
	@touch $@

deps:
	@bash hack/install-deps.sh
	$(GO) mod download

vet:
	$(GO) vet ./...

# test installs what it needs, then runs every test. Tests that need root or
# network namespaces skip with a message where those are missing, but never
# when CI=true.
# -p 1: packages that bring up the lab share its ports and state directory.
# The lab's Cilium engine is built too: lab/ciliumlab tests it.
test: deps build lab lab-cilium vet
	$(GO) test -p 1 -count=1 -timeout 60m ./...

# test-cilium runs only the tests of the lab's Cilium engine.
test-cilium: deps build lab lab-cilium
	$(GO) test -p 1 -count=1 -timeout 45m ./lab/ciliumlab/

# test-short runs the tests that need neither root nor the lab.
test-short:
	$(GO) test -short -count=1 ./...

bench: deps build lab lab-cilium
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 90m ./...

# demo runs `meshbench run` on the lab; DEMO_FLAGS changes the study and
# DEMO_NODES the lab, e.g.
#   make demo DEMO_FLAGS="--policies 0,100,1000 --sizes .5k --requests 1000" DEMO_NODES=3
DEMO_FLAGS ?= --policies 0,10,50,100,200 --sizes .5k,1k,10k,100k,1M
DEMO_NODES ?= 2
demo: deps build lab
	$(BIN)/meshbench lab up --nodes $(DEMO_NODES)
	KUBECONFIG=$$($(BIN)/meshbench lab kubeconfig) $(BIN)/meshbench run $(DEMO_FLAGS); \
	  rc=$$?; $(BIN)/meshbench lab down; exit $$rc

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
