# SPDX-License-Identifier: Apache-2.0
# fuzz/ -- a libFuzzer target per parser; each is also linked with a
# corpus replayer that `make test` runs.
FUZZ_TARGETS := proto expr ruleset norm
FUZZ_BIN := $(FUZZ_TARGETS:%=$(B)/fuzz/replay_%)

$(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%.o) $(B)/fuzz/replay.o: INC := $(ENGINE_INC) -Ifuzz

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
	    $(ENGINE_INC) -Ifuzz $(PKG_CFLAGS) fuzz/fuzz_$(FUZZ).c $(ENGINE_SRC) $(LIB_SRC) -o build-fuzz/fuzz_$(FUZZ) $(LIBS)
	mkdir -p build-fuzz/corpus-$(FUZZ) && cp fuzz/corpus/$(FUZZ)/* build-fuzz/corpus-$(FUZZ)/
	build-fuzz/fuzz_$(FUZZ) -max_total_time=$(FUZZ_TIME) $(if $(wildcard fuzz/$(FUZZ).dict),-dict=fuzz/$(FUZZ).dict) build-fuzz/corpus-$(FUZZ)
