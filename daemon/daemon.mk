# SPDX-License-Identifier: Apache-2.0
# daemon/ -- vetd: sockets and the loop, workers, admin replies, the
# ruleset swap, audit log, statistics, settings, logging.
DAEMON_SRC := daemon/admin.c daemon/audit.c daemon/broker.c daemon/dconf.c daemon/keys.c daemon/pidfile.c daemon/privdrop.c \
              daemon/rsh.c daemon/runner.c daemon/server.c \
              daemon/stats.c daemon/vlog.c daemon/worker.c daemon/zap.c
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(B)/%.o)
DAEMON_INC := $(ENGINE_INC) -Idaemon
# The daemon's modules without main, for vetd and the unit tests.
DAEMON_LIB := $(B)/libvetd.a

$(DAEMON_OBJ) $(B)/daemon/main.o: INC := $(DAEMON_INC)
$(B)/daemon/main.o: ALL_CFLAGS += -DVETD_RULES_DIR='"$(PREFIX)/share/vetd/rules"'

$(DAEMON_LIB): $(DAEMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/vetd: $(B)/daemon/main.o $(DAEMON_LIB) $(ENGINE_LIB)
	@mkdir -p $(BIN)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)

# CURVE against plain text (docs/SECURITY.md): curvebench measures a
# client through libvet; tools/curvebench/curve-bench.sh runs it against a
# plain and a CURVE daemon in the same run and prints the ratios.
CURVEBENCH := $(B)/tools/curvebench/curvebench
$(CURVEBENCH).o: INC := $(LIB_INC) -Iinclude
$(CURVEBENCH): $(CURVEBENCH).o $(B)/libvet.a
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lzmq
all: $(CURVEBENCH)
