# vetd -- screening engine, daemon and clients.
# Targets: all test asan valgrind bench check-rules install clean deps
# User CFLAGS/LDFLAGS are appended; PREFIX and DESTDIR for install.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc

PKGS      := libconfig libutf8proc libcjson libsodium libzmq libxml-2.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral -Werror
OPT     ?= -O2 -g
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) $(WARN) \
           -Idaemon -Iinclude $(PKG_CFLAGS) -MMD -MP -fPIC
ALL_CFLAGS := $(BASE_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(LDFLAGS)
LIBS    := $(PKG_LIBS) -lpthread -lm

B       ?= build
BIN     ?= bin

# The server: the daemon's modules that know ZeroMQ, threads and files.
SERVER_SRC := daemon/server.c daemon/audit.c daemon/rsh.c daemon/stats.c \
              daemon/dconf.c daemon/vlog.c
SERVER_OBJ := $(SERVER_SRC:daemon/%.c=$(B)/daemon/%.o)
SERVER_LIB := $(B)/libvetserver.a

# The engine: every other daemon module but main (no ZeroMQ in it).
ENGINE_SRC := $(filter-out daemon/main.c $(SERVER_SRC),$(wildcard daemon/*.c))
ENGINE_OBJ := $(ENGINE_SRC:daemon/%.c=$(B)/daemon/%.o)
ENGINE_LIB := $(B)/libvetengine.a
ENGINE_SO  := $(B)/libvetengine.so

# vet-import: public list formats -> registry files.
IMPORT_SRC := $(wildcard tools/vet-import/*.c)
IMPORT_OBJ := $(IMPORT_SRC:tools/vet-import/%.c=$(B)/tools/vet-import/%.o)

# The C client library (include/vet.h) and the vet CLI.
CLIENT_OBJ := $(B)/clients/c/libvet.o
CLIENT_LIB := $(B)/libvet.a
CLIENT_SO  := $(B)/libvet.so

TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(B)/tests/%)
TEST_BIN += $(B)/tests/test_eval

FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/fuzz_%.c=$(B)/fuzz/replay_%)

BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%) $(B)/bench/loadgen $(B)/bench/echo

.SECONDARY:

.PHONY: all test check asan valgrind bench install clean deps run fuzz rules-full rules-update eval

all: $(BIN)/vetd $(BIN)/vet $(BIN)/vet-import $(BIN)/vet-eval $(ENGINE_LIB) $(ENGINE_SO) $(CLIENT_LIB) $(CLIENT_SO)

$(B)/daemon/%.o: daemon/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/clients/c/%.o: clients/c/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/tools/vet-import/%.o: tools/vet-import/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itools/vet-import -c $< -o $@

$(BIN)/vet-import: $(IMPORT_OBJ) $(ENGINE_LIB)
	@mkdir -p $(BIN)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)

$(B)/tests/test_import.o: ALL_CFLAGS += -Itools/vet-import
$(B)/tests/test_import: $(B)/tests/test_import.o $(B)/tests/testutil.o $(filter-out %/main.o,$(IMPORT_OBJ)) $(ENGINE_LIB) $(CLIENT_LIB)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS) -lcmocka

$(B)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/fuzz/%.o: fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# Each fuzz target linked with a corpus replayer: runs in `make test`.
$(B)/fuzz/replay_%: $(B)/fuzz/fuzz_%.o $(B)/fuzz/replay.o $(ENGINE_LIB)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)

# Coverage-guided fuzzing with libFuzzer (needs clang: apt-get install clang).
#   make fuzz FUZZ=proto FUZZ_TIME=60
FUZZ ?= proto
FUZZ_TIME ?= 60
fuzz:
	@command -v clang >/dev/null || { echo "make fuzz needs clang (apt-get install clang)"; exit 1; }
	@mkdir -p build-fuzz
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	    -Idaemon -Iinclude $(PKG_CFLAGS) fuzz/fuzz_$(FUZZ).c $(ENGINE_SRC) -o build-fuzz/fuzz_$(FUZZ) $(LIBS)
	mkdir -p build-fuzz/corpus-$(FUZZ) && cp fuzz/corpus/$(FUZZ)/* build-fuzz/corpus-$(FUZZ)/
	build-fuzz/fuzz_$(FUZZ) -max_total_time=$(FUZZ_TIME) $(if $(wildcard fuzz/$(FUZZ).dict),-dict=fuzz/$(FUZZ).dict) build-fuzz/corpus-$(FUZZ)

$(ENGINE_LIB): $(ENGINE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(ENGINE_SO): $(ENGINE_OBJ)
	$(CC) -shared -o $@ $^ $(ALL_LDFLAGS) $(LIBS)

$(SERVER_LIB): $(SERVER_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(CLIENT_LIB): $(CLIENT_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(CLIENT_SO): $(CLIENT_OBJ)
	$(CC) -shared -o $@ $^ $(ALL_LDFLAGS) -lzmq

# vet batch: the pipeline (batch), its input (breader, bjson) and the
# daemon's growable buffer.
$(BIN)/vet: $(B)/clients/c/vet.o $(B)/clients/c/vetcli.o $(B)/clients/c/batch.o $(B)/clients/c/breader.o \
            $(B)/clients/c/bjson.o $(B)/daemon/sbuf.o $(CLIENT_LIB)
	@mkdir -p $(BIN)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)

$(B)/daemon/main.o: ALL_CFLAGS += -DVETD_RULES_DIR='"$(PREFIX)/share/vetd/rules"'

$(BIN)/vetd: $(B)/daemon/main.o $(SERVER_LIB) $(ENGINE_LIB)
	@mkdir -p $(BIN)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)

$(B)/tests/%: $(B)/tests/%.o $(B)/tests/testutil.o $(SERVER_LIB) $(ENGINE_LIB) $(CLIENT_LIB)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS) -lcmocka

# The daemon benchmark's tools speak ZeroMQ only.
$(B)/bench/loadgen: $(B)/bench/loadgen.o
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lzmq -lm

$(B)/bench/echo: $(B)/bench/echo.o
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lzmq

$(B)/bench/%: $(B)/bench/%.o $(ENGINE_LIB)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)

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
asan:
	ASAN_OPTIONS="quarantine_size_mb=32$${ASAN_OPTIONS:+:$$ASAN_OPTIONS}" $(MAKE) B=build-asan BIN=build-asan/bin OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined" check

valgrind: all $(TEST_BIN) $(FUZZ_BIN)
	@VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect" sh tests/run.sh $(B) $(BIN)

# Fault injection (tests/fault/run.sh, run by check): the LD_PRELOAD
# shim that fails one chosen allocation. Built without OPT and LDFLAGS:
# it sits in front of the sanitizers' malloc, never inside them.
FAULT_SO := $(B)/tests/libfault.so
$(FAULT_SO): tests/fault/fault.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -g $(WARN) -fPIC -shared $< -o $@ -ldl
check valgrind: $(FAULT_SO)

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

# The default ruleset plus the OFAC SDN and UN Security Council lists,
# imported from ../shared/data (or SHARED_DATA=...), checked and tested:
# build/rules-full/, for those who want the big sanctions lists.
SHARED_DATA ?= ../shared/data
rules-full: all
	@test -d $(SHARED_DATA) || { echo "rules-full: $(SHARED_DATA) not found (set SHARED_DATA=)"; exit 1; }
	rm -rf $(B)/rules-full && mkdir -p $(B)/rules-full && cp -R rules/. $(B)/rules-full/
	$(BIN)/vet-import --format ofac-sdn $(SHARED_DATA)/ofac_sdn/sdn.csv $(SHARED_DATA)/ofac_sdn/alt.csv \
	    $(SHARED_DATA)/ofac_sdn/add.csv > $(B)/rules-full/registry/us-sdn.cfg
	$(BIN)/vet-import --format un-xml $(SHARED_DATA)/un/UN_consolidated.xml > $(B)/rules-full/registry/un-sc.cfg
	$(BIN)/vetd --check -r $(B)/rules-full
	$(BIN)/vetd --test -r $(B)/rules-full

# Regenerates the generated files of rules/registry from $(SHARED_DATA):
# the Named Research Organizations, and the curated subsets of the big lists
# that tools/selections/*.ids name (vet-import --select). Same input, same bytes.
RULES_IMPORT = $(BIN)/vet-import --select tools/selections/$(1).ids --format $(2) $(3) \
	> rules/registry/$(1).cfg.tmp && mv rules/registry/$(1).cfg.tmp rules/registry/$(1).cfg
rules-update: all
	@test -d $(SHARED_DATA) || { echo "rules-update: $(SHARED_DATA) not found (set SHARED_DATA=)"; exit 1; }
	/usr/bin/python3 tools/nro2cfg.py $(SHARED_DATA)/canada_nro/nro_2024-09.tsv rules/registry/ca-nro.cfg
	/usr/bin/python3 tools/dod1260h2cfg.py $(SHARED_DATA)/FACTS.md rules/registry/us-dod-1260h.cfg
	$(call RULES_IMPORT,us-sdn,ofac-sdn,$(SHARED_DATA)/ofac_sdn/sdn.csv $(SHARED_DATA)/ofac_sdn/alt.csv $(SHARED_DATA)/ofac_sdn/add.csv)
	$(call RULES_IMPORT,un-sc,un-xml,$(SHARED_DATA)/un/UN_consolidated.xml)
	$(call RULES_IMPORT,csl-2018,csl,$(SHARED_DATA)/csl_samples/csl_2018_sample.csv)
	$(call RULES_IMPORT,csl-2023,csl,$(SHARED_DATA)/csl_samples/consolidated_2023_sample.csv)
	$(BIN)/vetd --check -r rules

# vet-eval: partner-identification quality on ../shared/data (docs/EVAL.md).
EVAL_OBJ := $(B)/tools/eval/main.o $(B)/tools/eval/evdata.o $(B)/tools/eval/evgen.o

$(B)/tools/eval/%.o: tools/eval/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itools/eval -c $< -o $@

$(BIN)/vet-eval: $(EVAL_OBJ) $(ENGINE_LIB)
	@mkdir -p $(BIN)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)

$(B)/tests/test_eval: $(B)/tools/eval/test_eval.o $(B)/tools/eval/evdata.o $(B)/tools/eval/evgen.o
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS) -lcmocka

eval: rules-full $(BIN)/vet-eval
	$(BIN)/vet-eval -r $(B)/rules-full -d $(SHARED_DATA) --json $(B)/eval.json

# Where Debian's /usr/bin/python3 looks for packages under PREFIX, so that
# after `make install` `from vet import Client` works from anywhere.
PYTHON_SITE ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/python3/dist-packages,$(PREFIX)/lib/python3.$(shell /usr/bin/python3 -c 'import sys; print(sys.version_info[1])' 2>/dev/null || echo 11)/dist-packages)

install: all
	install -d $(DESTDIR)$(PYTHON_SITE)/vet
	install -m 644 clients/python/vet/*.py $(DESTDIR)$(PYTHON_SITE)/vet/
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/share/vetd/rules
	install -m 755 $(BIN)/vetd $(BIN)/vet $(BIN)/vet-import $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(ENGINE_LIB) $(CLIENT_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(ENGINE_SO) $(CLIENT_SO) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/vet_engine.h include/vet.h $(DESTDIR)$(PREFIX)/include/
	cp -R rules/. $(DESTDIR)$(PREFIX)/share/vetd/rules/

clean:
	rm -rf build build-asan build-fuzz bin

-include $(B)/tools/eval/*.d $(ENGINE_OBJ:.o=.d) $(SERVER_OBJ:.o=.d) $(B)/daemon/main.d $(B)/clients/c/*.d $(IMPORT_OBJ:.o=.d) $(TEST_BIN:%=%.d) $(B)/tests/testutil.d $(BENCH_BIN:%=%.d) \
    $(wildcard $(B)/fuzz/*.d)
