# SPDX-License-Identifier: Apache-2.0
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

# The project's one version (VERSION): vetd's (-DVETD_VERSION), the shared
# libraries' soname (libvet.so.MAJOR, libvetengine.so.MAJOR) and the Python
# and Node packages' (make version-sync writes it there, make version-check
# and make test check it: tools/version.sh).
VERSION       := $(shell cat VERSION)
VERSION_MAJOR := $(firstword $(subst ., ,$(VERSION)))

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral -Werror
OPT     ?= -O2 -g
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) $(WARN) \
           -MMD -MP -fPIC -DVETD_VERSION='"$(VERSION)"'
ALL_CFLAGS := $(BASE_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(LDFLAGS)
LIBS    := $(PKG_LIBS) -lpthread -lm

B       ?= build
BIN     ?= bin

.SECONDARY:

.PHONY: all test check asan valgrind bench install clean deps run fuzz rules-full rules-update rules-check eval \
        format format-check version-sync version-check

all:

# One folder, one fragment: each lists its sources and the include
# directories its layer may see (lib < engine < daemon; clients see lib).
include lib/lib.mk engine/engine.mk daemon/daemon.mk clients/c/c.mk \
        tools/import/import.mk tools/eval/eval.mk tools/update/update.mk tests/tests.mk \
        tools/replay/replay.mk bench/bench.mk fuzz/fuzz.mk

# What carries the version is rebuilt when VERSION changes.
$(DAEMON_OBJ) $(B)/daemon/main.o $(ENGINE_SO) $(CLIENT_SO): VERSION

all: $(BIN)/vetd $(BIN)/vet $(BIN)/vet-import $(BIN)/vet-update $(BIN)/vet-eval $(BIN)/vet-replay \
     $(ENGINE_LIB) $(ENGINE_SO) \
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

# One version, bumped in one place: edit VERSION, run make version-sync
# (the Python package's __version__, the Node package.json and its lock
# file), add its section to CHANGELOG.md. version-check fails when any of
# them, or a shared library's soname, differs from VERSION.
version-sync:
	@sh tools/version.sh sync .
version-check: $(ENGINE_SO) $(CLIENT_SO)
	@sh tools/version.sh check . $(B)

bench: all $(BENCH_BIN)
	@sh bench/run.sh $(B) $(BIN)
	@sh bench/daemon.sh $(B) $(BIN)
	@sh bench/batch.sh $(B) $(BIN)
	@sh tools/curvebench/curve-bench.sh $(B) $(BIN)
	@sh tools/replay/bench-replay.sh $(B) $(BIN)

# Installs what a fresh Debian 12 machine lacks (idempotent; root).
deps:
	@sh .ci/deps.sh

# The README's first command: install, build, check and test the
# default ruleset, then serve it at tcp://127.0.0.1:7470 in the
# foreground (Ctrl-C or SIGTERM stops it; SIGHUP reloads). Elsewhere:
# make run PORT=7480 (loopback), or the endpoints of $VET_ENDPOINT
# (comma-separated, as the clients read it); PORT given wins.
PORT ?= 7470
comma := ,
RUN_ENDPOINTS = $(if $(and $(VET_ENDPOINT),$(filter-out command line,$(origin PORT))),$(subst $(comma), ,$(VET_ENDPOINT)),tcp://127.0.0.1:$(PORT))
# As root (a fresh machine's first user), vetd must be told it may stay
# root (docs/SECURITY.md); a service runs it with --user or DynamicUser.
RUN_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root)
run:
	@sh .ci/deps.sh
	@$(MAKE) --no-print-directory all
	$(BIN)/vetd --check -r rules/
	$(BIN)/vetd --test -r rules/
	exec $(BIN)/vetd -r rules/ $(addprefix -e ,$(RUN_ENDPOINTS)) $(RUN_ROOT)

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

# The Python package is installed from the wheel its own metadata
# (clients/python/pyproject.toml) builds, offline with Debian's setuptools,
# from a copy so that the build leaves nothing in the tree; unpacking the
# wheel there is what pip does, without touching Debian's own packages.
PYPKG = $(B)/python-pkg

# Where install puts the rest: the sample vetd.cfg under etc/vetd (/etc
# for PREFIX=/usr), man pages, the systemd units, the pkg-config files.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
MAN_PAGES  := docs/man/vet.1 docs/man/vet-import.1 docs/man/vetd.cfg.5 docs/man/vetd.8
UNITS      := deploy/vetd.service deploy/vet-update.service deploy/vet-update.timer
# @PREFIX@, @SYSCONFDIR@ and @VERSION@ in templates, the sample vetd.cfg's rules path.
INSTALL_SUBST = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
    -e 's|@VERSION@|$(VERSION)|g' -e 's|/usr/local/share/vetd/rules|$(PREFIX)/share/vetd/rules|g'

# What bakes PREFIX in (vetd's default ruleset directory, VETD_RULES_DIR)
# is rebuilt when PREFIX changes: the stamp holds the PREFIX of the last
# build and is rewritten only when it differs, so its date moves, and
# the objects that depend on it are rebuilt, exactly then.
$(B)/prefix.stamp: FORCE
	@mkdir -p $(B)
	@echo '$(PREFIX)' | cmp -s - $@ || echo '$(PREFIX)' > $@
$(B)/daemon/main.o: $(B)/prefix.stamp
.PHONY: FORCE uninstall
FORCE:

# so_install SO NAME: installs SO as NAME.so.VERSION with the links NAME.so.MAJOR
# (its soname, what programs linked with it look for) and NAME.so (for -lNAME).
so_install = install -m 755 $(1) $(DESTDIR)$(PREFIX)/lib/$(2).so.$(VERSION) && \
	ln -sf $(2).so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(2).so.$(VERSION_MAJOR) && \
	ln -sf $(2).so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(2).so

install: all
	rm -rf $(PYPKG) && mkdir -p $(PYPKG)/src
	cp -R clients/python/pyproject.toml clients/python/README.md clients/python/vet $(PYPKG)/src/
	/usr/bin/python3 -m pip wheel --quiet --no-build-isolation --no-index --no-deps -w $(PYPKG) $(PYPKG)/src
	install -d $(DESTDIR)$(PYTHON_SITE)
	rm -rf $(DESTDIR)$(PYTHON_SITE)/vet $(DESTDIR)$(PYTHON_SITE)/vetd_client-*.dist-info
	/usr/bin/python3 -m zipfile -e $(PYPKG)/vetd_client-*.whl $(DESTDIR)$(PYTHON_SITE)/
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/share/vetd/rules $(DESTDIR)$(SYSCONFDIR)/vetd $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(BIN)/vetd $(BIN)/vet $(BIN)/vet-import $(BIN)/vet-update $(BIN)/vet-replay \
	    $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(ENGINE_LIB) $(CLIENT_LIB) $(DESTDIR)$(PREFIX)/lib/
	$(call so_install,$(ENGINE_SO),libvetengine)
	$(call so_install,$(CLIENT_SO),libvet)
	install -m 644 include/vet_api.h include/vet_engine.h include/vet.h $(DESTDIR)$(PREFIX)/include/
	for pc in vet vetengine; do $(INSTALL_SUBST) deploy/$$pc.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/$$pc.pc || exit 1; done
	rm -rf $(DESTDIR)$(PREFIX)/share/vetd/rules && cp -R rules/. $(DESTDIR)$(PREFIX)/share/vetd/rules/
	for m in $(MAN_PAGES); do $(INSTALL_SUBST) $$m > $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} || exit 1; done
	for u in $(UNITS); do $(INSTALL_SUBST) $$u > $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; done
	@# The operator's vetd.cfg is never overwritten: the new sample goes beside it.
	@cfg=$(DESTDIR)$(SYSCONFDIR)/vetd/vetd.cfg; [ -e $$cfg ] && cfg=$$cfg.new; \
	    $(INSTALL_SUBST) docs/examples/vetd.cfg > $$cfg && echo "install: sample configuration in $$cfg"
	@echo "install: the Python package (import vet) is in $(DESTDIR)$(PYTHON_SITE)"
	@/usr/bin/python3 -c 'import sys; sys.exit("$(PYTHON_SITE)" not in sys.path)' 2>/dev/null \
	    && echo "install: /usr/bin/python3 searches it already" \
	    || echo "install: /usr/bin/python3 does not search it: export PYTHONPATH=$(PYTHON_SITE), or install with PREFIX=/usr"

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,vetd vet vet-import vet-update vet-replay)
	rm -f $(DESTDIR)$(PREFIX)/lib/libvet.a $(DESTDIR)$(PREFIX)/lib/libvet.so* \
	    $(DESTDIR)$(PREFIX)/lib/libvetengine.a $(DESTDIR)$(PREFIX)/lib/libvetengine.so* \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/vet.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/vetengine.pc
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/include/,vet_api.h vet_engine.h vet.h)
	rm -rf $(DESTDIR)$(PREFIX)/share/vetd $(DESTDIR)$(PYTHON_SITE)/vet $(DESTDIR)$(PYTHON_SITE)/vetd_client-*.dist-info
	rm -f $(foreach m,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS)))
	@echo "uninstall: $(SYSCONFDIR)/vetd (your configuration) is left in place"

clean:
	rm -rf build build-asan build-fuzz bin

-include $(wildcard $(B)/*/*.d $(B)/*/*/*.d $(B)/*/*/*/*.d)
