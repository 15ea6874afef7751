# SPDX-License-Identifier: Apache-2.0
# tools/replay -- vet-replay: re-screens a vetd audit log under another
# ruleset in-process (the embedding API, include/vet_engine.h) on every
# core (docs/OPERATIONS.md, "Replay and the daily re-screen"). It sees
# the engine's headers for the name normaliser (norm.h) that
# deduplicates partners. Its tests are tests/tests.mk's.
REPLAY_INC := $(ENGINE_INC) -Itools/replay

$(B)/tools/replay/main.o: INC := $(REPLAY_INC)

$(BIN)/vet-replay: $(B)/tools/replay/main.o $(ENGINE_LIB)
	@mkdir -p $(BIN)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)

all: $(BIN)/vet-replay
