# SPDX-License-Identifier: Apache-2.0
# clients/c -- libvet (include/vet.h, ZeroMQ only) and the vet CLI.
CLIENT_OBJ := $(B)/clients/c/libvet.o
CLIENT_LIB := $(B)/libvet.a
CLIENT_SO  := $(B)/libvet.so
VET_SRC    := clients/c/vet.c clients/c/vetcli.c clients/c/batch.c clients/c/breader.c \
              clients/c/bjson.c clients/c/idtab.c clients/c/vreview.c
VET_OBJ    := $(VET_SRC:%.c=$(B)/%.o)
CLIENT_INC := -Iinclude $(LIB_INC) -Iclients/c

$(CLIENT_OBJ) $(VET_OBJ): INC := $(CLIENT_INC)
$(CLIENT_OBJ): ALL_CFLAGS += -fvisibility=hidden

$(CLIENT_LIB): $(CLIENT_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(CLIENT_SO): $(CLIENT_OBJ)
	$(CC) -shared -Wl,-soname,libvet.so.$(VERSION_MAJOR) -o $@ $(filter %.o,$^) $(ALL_LDFLAGS) -lzmq

$(BIN)/vet: $(VET_OBJ) $(CLIENT_LIB) $(LIB_A)
	@mkdir -p $(BIN)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)
