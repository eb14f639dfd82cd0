# Thin targets over the go command. 'make render' and 'make test' are all a
# fresh machine needs.
GO      ?= go
BIN     := bin/kdecl
# The renders of the example stacks: their stacks, environments and
# deploy directories.
RENDERS := stacks/kdecl.cue

export CGO_ENABLED := 0

.PHONY: build render test unit golden verify bench lint e2e e2e-bin e2e-etcd shells oracle

# -buildvcs=auto stamps the checkout's revision into kdecl version, also
# where GOFLAGS says -buildvcs=false.
build:
	$(GO) build -trimpath -buildvcs=auto -o $(BIN) ./cmd/kdecl

# Render the stacks of stacks/kdecl.cue into their deploy directories.
render: build
	./$(BIN) render --all --config $(RENDERS)

# Every test: lint, unit and golden tests, golden files current, and the
# real API server check.
test: lint unit verify e2e

unit: shells
	$(GO) test -count=1 ./...

# Regenerate golden files.
golden:
	$(GO) test ./... -update

# Regenerating golden files and deploy output must change nothing.
verify: build
	$(GO) test ./... -update >/dev/null
	./$(BIN) render --check --all --config $(RENDERS)
	git diff --exit-code -- testdata deploy cmd
	@test -z "$$(git status --porcelain -- testdata deploy)" || { git status --porcelain -- testdata deploy; echo "untracked golden or deploy files"; exit 1; }

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./cmd/kdecl ./internal/importer ./schema

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

# The real API server check. kube-apiserver and kubectl are built from the
# k8s.io/kubernetes module that e2e/go.mod pins (the release of k8s.io/api),
# into a git-ignored cache named by that version; etcd is Debian's.
K8S_VERSION = $(shell cd e2e && $(GO) list -m -f '{{.Version}}' k8s.io/kubernetes)
E2E_BIN     = $(CURDIR)/.cache/e2e/$(K8S_VERSION)
# -trimpath, as for the binaries: the tests import packages of
# k8s.io/kubernetes (TestOracle's node port allocator, Pod validation) and
# share their build cache with kube-apiserver's instead of compiling them
# again.
E2E_TEST    = $(GO) test -count=1 -trimpath

e2e: e2e-bin e2e-etcd
	cd e2e && KDECL_E2E_BIN=$(E2E_BIN) $(E2E_TEST) -timeout 20m ./...

# The random-stack oracle at length: TestOracle, which make e2e runs over
# 500 random stacks, over ORACLE_STACKS of them (75 seconds or so per 1000
# on 2 cores). Each run draws a new seed unless ORACLE_SEED is set; the log
# names the seed, and ORACLE_SEED and ORACLE_STACKS reproduce the run.
ORACLE_STACKS ?= 10000
ORACLE_SEED   ?= random

oracle: e2e-bin e2e-etcd
	cd e2e && KDECL_E2E_BIN=$(E2E_BIN) KDECL_ORACLE_STACKS=$(ORACLE_STACKS) KDECL_ORACLE_SEED=$(ORACLE_SEED) \
		$(E2E_TEST) -timeout 2h -run '^TestOracle$$' ./...

e2e-bin:
	@$(MAKE) --no-print-directory $(E2E_BIN)/kube-apiserver

$(CURDIR)/.cache/e2e/%/kube-apiserver: e2e/go.mod e2e/go.sum
	@echo "building kube-apiserver and kubectl $* (the first build takes minutes)"
	mkdir -p $(@D)
	cd e2e && $(GO) build -trimpath -o $(@D)/ k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
	touch $@

e2e-etcd:
	@command -v etcd >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server; }

# The shells whose completion scripts the tests load (bash is there).
shells:
	@command -v zsh >/dev/null && command -v fish >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y zsh fish; }
