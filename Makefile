# Cristal — the two commands a newcomer needs:
#   make run    install what the product needs, build the program, ingest samples/,
#               serve them (web UI and APIs) on $(LISTEN) (no test tools, benchmarks
#               or npm packages; the tree's tracked files are left as they are)
#   make test   install that and the test tools, build everything, run every test
# and the ones developers use: make (build only), make asan, make tsan, make fuzz, make bench.
BUILD ?= build
JOBS ?= $(shell nproc)
DATA ?= $(CURDIR)/.cristal-demo
LISTEN ?= 127.0.0.1:8080

.PHONY: all build program deps run test asan tsan fuzz bench clean install uninstall
all: build

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The installer runs once per machine and again when it changes (a stamp in
# the build tree), not on every `make test`; `make deps` forces it. The
# product's packages and the test tools have a stamp each.
DEPS_STAMP = $(BUILD)/.deps-installed
TEST_DEPS_STAMP = $(BUILD)/.test-deps-installed
$(DEPS_STAMP): scripts/install-deps.sh
	@scripts/install-deps.sh
	@mkdir -p $(BUILD) && touch $@
$(TEST_DEPS_STAMP): scripts/install-deps.sh
	@scripts/install-deps.sh --test
	@mkdir -p $(BUILD) && touch $@ $(DEPS_STAMP)

deps:
	@scripts/install-deps.sh --test
	@mkdir -p $(BUILD) && touch $(DEPS_STAMP) $(TEST_DEPS_STAMP)

# Only the program (bin/cristal): no tests, fuzz replays, tools or benchmarks.
program: $(DEPS_STAMP)
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target cristal_cli

# make install [PREFIX=/usr/local] [DESTDIR=]: the program, /etc/cristal/cristal.toml
# (kept when present), systemd units, manual page and documents (docs/CONFIG.md).
# make uninstall [DESTDIR=] removes what the last install listed, but the configuration file.
PREFIX ?= /usr/local
install: program
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"
uninstall:
	@test -f $(BUILD)/install_manifest.txt || { echo "make uninstall: nothing installed from $(BUILD)"; exit 1; }
	@grep -v '/cristal/cristal.toml$$' $(BUILD)/install_manifest.txt | while read -r f; do rm -fv "$(DESTDIR)$$f"; done

run: program
	bin/cristal --data $(DATA) init
	bin/cristal --data $(DATA) ingest samples
	bin/cristal --data $(DATA) serve --listen $(LISTEN)

test: $(TEST_DEPS_STAMP) build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan:
	@cmake -S . -B build-asan -DCR_BIN_DIR=$(CURDIR)/build-asan/bin -DCR_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS=-O1 >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS) -LE slow

# The suite under ThreadSanitizer, the stress test (test_stress) included.
# Left out: the slow label (the comparisons with llama.cpp, e2e_llm_oracle and
# e2e_llm_tok_oracle: single-threaded, minutes long even uninstrumented).
# history_size=7: enough access history that the earlier stack of a race is
# found, which suppressions need to match it.
# G_SLICE=always-malloc: GLib's slice allocator (GMime) hands blocks between
# threads through its own uninstrumented locks, which TSan reports as races;
# GLib 2.76 and later always use malloc. tests/tsan.supp lists the other
# races TSan sees inside third-party libraries (none in ours).
# --timeout 600 --repeat until-pass:2: TSan's runtime can deadlock while it
# symbolizes a (suppressed) GMime race as another thread's iconv_open loads a
# gconv module under the loader's lock (seen once in four runs, in
# test_ingest_mail); such a hang is cut and the test run once more.
tsan:
	@cmake -S . -B build-tsan -DCR_BIN_DIR=$(CURDIR)/build-tsan/bin -DCR_TSAN=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS=-O1 >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	cd build-tsan && G_SLICE=always-malloc TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 history_size=7 suppressions=$(CURDIR)/tests/tsan.supp" \
		ctest --output-on-failure -j $(JOBS) -LE slow --timeout 600 --repeat until-pass:2

fuzz:
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCR_BIN_DIR=$(CURDIR)/build-fuzz/bin -DCR_LIBFUZZER=ON -DCR_SANITIZE=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@echo "fuzz targets in build-fuzz/: run e.g. build-fuzz/fuzz_gguf fuzz/corpus/gguf -max_total_time=60"

bench: build
	scripts/bench.sh

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz bin
