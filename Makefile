# vetd -- screening engine, daemon and clients.
# Targets: all test asan valgrind bench check-rules install clean deps
# User CFLAGS/LDFLAGS are appended; PREFIX and DESTDIR for install.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc

PKGS      := libconfig libutf8proc libcjson libsodium libzmq libxml-2.0 icu-uc icu-i18n opencc \
             libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral -Werror
OPT     ?= -O2 -g
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) $(WARN) \
           -MMD -MP -fPIC
ALL_CFLAGS := $(BASE_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(LDFLAGS)
LIBS    := $(PKG_LIBS) -lpthread -lm

B       ?= build
BIN     ?= bin

.SECONDARY:

.PHONY: all test check asan valgrind bench install clean deps run fuzz rules-full rules-update rules-check eval \
        format format-check

all:

# One folder, one fragment: each lists its sources and the include
# directories its layer may see (lib < engine < daemon; clients see lib).
include lib/lib.mk engine/engine.mk daemon/daemon.mk clients/c/c.mk \
        tools/import/import.mk tools/eval/eval.mk tools/update/update.mk tests/tests.mk \
        bench/bench.mk fuzz/fuzz.mk

all: $(BIN)/vetd $(BIN)/vet $(BIN)/vet-import $(BIN)/vet-update $(BIN)/vet-eval $(ENGINE_LIB) $(ENGINE_SO) \
     $(CLIENT_LIB) $(CLIENT_SO)

# Every object, from the fragment's INC.
$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(INC) $(PKG_CFLAGS) -c $< -o $@

# The README's second command: installs what is missing, then `check`
# in a fresh make (pkg-config must run after the install).
test:
	@sh .ci/deps.sh
	@$(MAKE) --no-print-directory check

# Unit tests (CMocka), then the ruleset's own cases and the command-line
# checks; tests/run.sh prints the closing "N passed, N failed" line.
check: all $(TEST_BIN) $(FUZZ_BIN)
	@sh tests/run.sh $(B) $(BIN)

# Sanitizer build in its own directories, same tests.
# A smaller quarantine than ASan's 256 MB: the tests that bound the
# daemon's memory (a client that never reads) measure its RSS.
# ASAN_B names the build directory (several builds may share a tree).
ASAN_B ?= build-asan
asan:
	ASAN_OPTIONS="quarantine_size_mb=32$${ASAN_OPTIONS:+:$$ASAN_OPTIONS}" $(MAKE) B=$(ASAN_B) BIN=$(ASAN_B)/bin OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined" check

valgrind: all $(TEST_BIN) $(FUZZ_BIN)
	@VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect" sh tests/run.sh $(B) $(BIN)

check valgrind: $(FAULT_SO)

# The house format (.clang-format). format-check is one of make test's
# checks (tests/run.sh); format rewrites the files in place.
FORMAT_FILES = $(sort $(wildcard include/*.h lib/*.[ch] engine/*.[ch] engine/*/*.[ch] daemon/*.[ch] \
                 clients/c/*.[ch] tools/*/*.[ch] tests/*.[ch] tests/*/*.[ch] bench/*.c fuzz/*.[ch]))
CLANG_FORMAT ?= clang-format
format:
	$(CLANG_FORMAT) -i $(FORMAT_FILES)
format-check:
	@$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_FILES) && echo "format: $(words $(FORMAT_FILES)) files conform to .clang-format"

bench: all $(BENCH_BIN)
	@sh bench/run.sh $(B) $(BIN)
	@sh bench/daemon.sh $(B) $(BIN)
	@sh bench/batch.sh $(B) $(BIN)

# Installs what a fresh Debian 12 machine lacks (idempotent; root).
deps:
	@sh .ci/deps.sh

# The README's first command: install, build, check and test the
# default ruleset, then serve it at tcp://127.0.0.1:7470 in the
# foreground (Ctrl-C or SIGTERM stops it; SIGHUP reloads).
run:
	@sh .ci/deps.sh
	@$(MAKE) --no-print-directory all
	$(BIN)/vetd --check -r rules/
	$(BIN)/vetd --test -r rules/
	exec $(BIN)/vetd -r rules/ -e tcp://127.0.0.1:7470

# The default ruleset with the OFAC SDN list imported whole with --all
# (its vessels and aircraft too, which the default leaves out), from
# ../shared/data (or SHARED_DATA=...), checked and tested: build/rules-full/.
SHARED_DATA ?= ../shared/data
rules-full: all
	@test -d $(SHARED_DATA) || { echo "rules-full: $(SHARED_DATA) not found (set SHARED_DATA=)"; exit 1; }
	rm -rf $(B)/rules-full && mkdir -p $(B)/rules-full && cp -R rules/. $(B)/rules-full/
	$(BIN)/vet-import --all --format ofac-sdn $(SHARED_DATA)/ofac_sdn/sdn.csv $(SHARED_DATA)/ofac_sdn/alt.csv \
	    $(SHARED_DATA)/ofac_sdn/add.csv > $(B)/rules-full/registry/us-sdn.cfg
	$(BIN)/vetd --check -r $(B)/rules-full
	$(BIN)/vetd --test -r $(B)/rules-full

# Regenerates the generated files of rules/registry from $(SHARED_DATA):
# the Named Research Organizations; the OFAC SDN and UN Security Council
# lists whole (organisations and individuals); the curated subsets of the
# Consolidated Screening List samples that tools/selections/*.ids name
# (vet-import --select); and ca-sema.cfg from the hand-checked sample of
# Canada's autonomous sanctions list in tests/fixtures/ca-sema (shared data
# has no copy of the list). Same input, same bytes. Editions: the NRO
# page's "modified" date, the UN list's own dateGenerated; the SDN legacy
# CSV and the samples carry none (vet-update records the download date).
RULES_OUT ?= rules/registry
RULES_GENERATED := ca-nro us-dod-1260h us-sdn un-sc csl-2018 csl-2023 ca-sema
RULES_IMPORT = $(BIN)/vet-import --select tools/selections/$(1).ids --format $(2) $(3) \
	> $(RULES_OUT)/$(1).cfg.tmp && mv $(RULES_OUT)/$(1).cfg.tmp $(RULES_OUT)/$(1).cfg
RULES_IMPORT_WHOLE = $(BIN)/vet-import $(4) --format $(2) $(3) \
	> $(RULES_OUT)/$(1).cfg.tmp && mv $(RULES_OUT)/$(1).cfg.tmp $(RULES_OUT)/$(1).cfg
rules-update: all
	@test -d $(SHARED_DATA) || { echo "rules-update: $(SHARED_DATA) not found (set SHARED_DATA=)"; exit 1; }
	$(BIN)/vet-import --as-of 2024-04-18 --max-age-days 365 --format ca-nro $(SHARED_DATA)/canada_nro/nro_2024-09.tsv > $(RULES_OUT)/ca-nro.cfg.tmp && mv $(RULES_OUT)/ca-nro.cfg.tmp $(RULES_OUT)/ca-nro.cfg
	/usr/bin/python3 tools/dod1260h2cfg.py $(SHARED_DATA)/FACTS.md $(RULES_OUT)/us-dod-1260h.cfg
	$(call RULES_IMPORT_WHOLE,us-sdn,ofac-sdn,$(SHARED_DATA)/ofac_sdn/sdn.csv $(SHARED_DATA)/ofac_sdn/alt.csv $(SHARED_DATA)/ofac_sdn/add.csv)
	$(call RULES_IMPORT_WHOLE,un-sc,un-xml,$(SHARED_DATA)/un/UN_consolidated.xml,--max-age-days 7)
	$(call RULES_IMPORT,csl-2018,csl,$(SHARED_DATA)/csl_samples/csl_2018_sample.csv)
	$(call RULES_IMPORT,csl-2023,csl,$(SHARED_DATA)/csl_samples/consolidated_2023_sample.csv)
	$(BIN)/vet-import --format ca-sema tests/fixtures/ca-sema/sema-lmes-sample.xml > $(RULES_OUT)/ca-sema.cfg.tmp && mv $(RULES_OUT)/ca-sema.cfg.tmp $(RULES_OUT)/ca-sema.cfg
	$(if $(filter rules/registry,$(RULES_OUT)),$(BIN)/vetd --check -r rules)

# The generated files of rules/registry are what rules-update makes of
# $(SHARED_DATA), byte for byte (run by make eval, which needs the data too).
rules-check: all
	@rm -rf $(B)/rules-check && mkdir -p $(B)/rules-check
	@$(MAKE) --no-print-directory -s rules-update RULES_OUT=$(B)/rules-check >/dev/null
	@for f in $(RULES_GENERATED); do cmp rules/registry/$$f.cfg $(B)/rules-check/$$f.cfg || exit 1; done
	@echo "rules-check: $(words $(RULES_GENERATED)) generated registry files are what rules-update makes"

# vet-eval: partner-identification quality on ../shared/data (docs/EVAL.md).
eval: rules-check rules-full $(BIN)/vet-eval
	$(BIN)/vet-eval -r $(B)/rules-full -d $(SHARED_DATA) --json $(B)/eval.json
	@echo "== held-out real-world forms (tools/eval/heldout.tsv: measured, never tuned to)"
	$(BIN)/vet-eval -r $(B)/rules-full --realworld-only -w tools/eval/heldout.tsv --people - --examples 0

# Where Debian's /usr/bin/python3 looks for packages under PREFIX, so that
# after `make install` `from vet import Client` works from anywhere.
PYTHON_SITE ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/python3/dist-packages,$(PREFIX)/lib/python3.$(shell /usr/bin/python3 -c 'import sys; print(sys.version_info[1])' 2>/dev/null || echo 11)/dist-packages)

install: all
	install -d $(DESTDIR)$(PYTHON_SITE)/vet
	install -m 644 clients/python/vet/*.py $(DESTDIR)$(PYTHON_SITE)/vet/
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/share/vetd/rules
	install -m 755 $(BIN)/vetd $(BIN)/vet $(BIN)/vet-import $(BIN)/vet-update $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(ENGINE_LIB) $(CLIENT_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(ENGINE_SO) $(CLIENT_SO) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/vet_api.h include/vet_engine.h include/vet.h $(DESTDIR)$(PREFIX)/include/
	cp -R rules/. $(DESTDIR)$(PREFIX)/share/vetd/rules/

clean:
	rm -rf build build-asan build-fuzz bin

-include $(wildcard $(B)/*/*.d $(B)/*/*/*.d $(B)/*/*/*/*.d)
