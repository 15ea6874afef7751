# SPDX-License-Identifier: Apache-2.0
# tools/update -- vet-update: keeps the lists of a versioned ruleset
# current (docs/OPERATIONS.md). It links vet-import's readers
# (libvetimport.a), the engine (to load and test the staging copy as
# vetd --check and --test do) and libvet (reload and version ops).
UPDATE_SRC := tools/update/fetch.c tools/update/regdiff.c \
              tools/update/srcs.c tools/update/ureload.c tools/update/ureport.c \
              tools/update/ustate.c tools/update/vroot.c
UPDATE_OBJ := $(UPDATE_SRC:%.c=$(B)/%.o)
UPDATE_INC := $(IMPORT_INC) -Itools/update

$(UPDATE_OBJ) $(B)/tools/update/main.o: INC := $(UPDATE_INC)

$(BIN)/vet-update: $(B)/tools/update/main.o $(UPDATE_OBJ) $(IMPORT_LIB) $(ENGINE_LIB) $(CLIENT_LIB)
	@mkdir -p $(BIN)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)
