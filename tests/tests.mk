# SPDX-License-Identifier: Apache-2.0
# tests/ -- unit/ (one CMocka program per module, linked with the
# internal archives), integration/ (the real vetd, vet and vet-import,
# driven as a user drives them), fault/ (allocation-failure injection).
UNIT_SRC := tests/unit/test_audit.c tests/unit/test_dconf.c tests/unit/test_eval.c \
            tests/unit/test_expr.c tests/unit/test_import.c tests/unit/test_match.c \
            tests/unit/test_cover.c tests/unit/test_keys.c tests/unit/test_merge.c \
            tests/unit/test_norm.c tests/unit/test_person.c tests/unit/test_proto.c \
            tests/unit/test_reviews.c tests/unit/test_rsh.c tests/unit/test_runner.c \
            tests/unit/test_ruleset.c tests/unit/test_screen.c tests/unit/test_script.c \
            tests/unit/test_stats.c tests/unit/test_profiles.c \
            tests/unit/test_strsim.c tests/unit/test_taxonomy.c tests/unit/test_util.c \
            tests/unit/test_vlog.c
# vet batch's id table (a client object, in no archive) and the ISO 3166
# name table.
UNIT_SRC += tests/unit/test_idtab.c tests/unit/test_isocode.c
# The real-world form set of vet-eval, checked against rules/registry.
UNIT_SRC += tests/unit/test_realworld.c
# A registry large enough for the match index's threaded neighbour pass.
UNIT_SRC += tests/unit/test_match_scale.c
INTEG_SRC := tests/integration/test_batch.c tests/integration/test_cases.c \
             tests/integration/test_cli.c tests/integration/test_daemon.c \
             tests/integration/test_failsafe.c tests/integration/test_libvet.c \
             tests/integration/test_profile_clients.c tests/integration/test_replay.c \
             tests/integration/test_review.c tests/integration/test_security.c \
             tests/integration/test_update.c
# One version and the lists' sources (tools/version.sh reads the build
# directory's shared libraries).
INTEG_SRC += tests/integration/test_version.c
# Several daemons: endpoint lists, failover (docs/DEPLOY.md).
INTEG_SRC += tests/integration/test_endpoints.c
$(B)/tests/integration/test_version.o: ALL_CFLAGS += -DTEST_BUILD_DIR='"$(B)"'
TEST_SRC := $(UNIT_SRC) $(INTEG_SRC)
TEST_BIN := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRC))
TESTUTIL := $(B)/tests/testutil.o
TEST_INC := $(EVAL_INC) -Idaemon -Iclients/c -Itests

$(TEST_SRC:%.c=$(B)/%.o) $(TESTUTIL): INC := $(TEST_INC)

$(B)/tests/unit/test_eval: $(B)/tests/unit/test_eval.o $(EVAL_OBJ) $(IMPORT_LIB) $(ENGINE_LIB)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS) -lcmocka

$(B)/tests/unit/test_realworld: $(B)/tests/unit/test_realworld.o $(EVAL_OBJ) $(IMPORT_LIB) $(ENGINE_LIB)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS) -lcmocka

$(B)/tests/unit/test_import: $(B)/tests/unit/test_import.o $(TESTUTIL) $(IMPORT_LIB) $(ENGINE_LIB) $(CLIENT_LIB)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS) -lcmocka

$(B)/tests/unit/test_idtab: $(B)/clients/c/idtab.o

# test_util fails realloc on demand, and sees the sizes asked (lib/vec.c).
$(B)/tests/unit/test_util: ALL_LDFLAGS += -Wl,--wrap=realloc
# test_rsh fails the malloc of a swap.
$(B)/tests/unit/test_rsh: ALL_LDFLAGS += -Wl,--wrap=malloc
# test_person fails the k-th malloc of a search and of an index build.
$(B)/tests/unit/test_person: ALL_LDFLAGS += -Wl,--wrap=malloc
# test_script points OpenCC at missing data and fails our mallocs on demand.
$(B)/tests/unit/test_script: ALL_LDFLAGS += -Wl,--wrap=opencc_open -Wl,--wrap=malloc

$(B)/tests/%: $(B)/tests/%.o $(TESTUTIL) $(DAEMON_LIB) $(ENGINE_LIB) $(CLIENT_LIB)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS) -lcmocka

# The LD_PRELOAD shim that fails one chosen allocation (tests/fault/run.sh).
# Built without OPT and LDFLAGS: it sits in front of the sanitizers'
# malloc, never inside them.
FAULT_SO := $(B)/tests/libfault.so
$(FAULT_SO): tests/fault/fault.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -g $(WARN) -fPIC -shared $< -o $@ -ldl
