# daemon/ -- vetd: sockets and the loop, workers, admin replies, the
# ruleset swap, audit log, statistics, settings, logging.
DAEMON_SRC := daemon/admin.c daemon/audit.c daemon/dconf.c daemon/rsh.c daemon/server.c \
              daemon/stats.c daemon/vlog.c daemon/worker.c
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
