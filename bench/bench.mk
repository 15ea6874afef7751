# SPDX-License-Identifier: Apache-2.0
# bench/ -- make bench: micro-benchmarks and the daemon's load generator;
# match_dump prints every hit of queries derived from a ruleset's names, so
# that two builds of the matcher are compared byte for byte (docs/EVAL.md).
BENCH_BIN := $(B)/bench/bench_match $(B)/bench/bench_screen $(B)/bench/bench_forms \
             $(B)/bench/bench_scale $(B)/bench/gen_registry $(B)/bench/match_dump \
             $(B)/bench/loadgen $(B)/bench/echo
BENCH_INC := $(IMPORT_INC)

$(BENCH_BIN:%=%.o): INC := $(BENCH_INC)
$(B)/bench/bench_forms.o: INC := $(EVAL_INC)

# bench_forms reads the real-world form set (tools/eval/evreal.c) and
# times it on make rules-full's ruleset, which make bench builds first.
$(B)/bench/bench_forms: $(B)/bench/bench_forms.o $(EVAL_OBJ) $(IMPORT_LIB) $(ENGINE_LIB)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)

bench: rules-full

# The daemon benchmark's tools speak ZeroMQ only (loadgen takes vec_grow
# from libvetutil, no engine).
$(B)/bench/loadgen: $(B)/bench/loadgen.o $(LIB_A)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lzmq -lm

$(B)/bench/echo: $(B)/bench/echo.o
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lzmq

$(B)/bench/%: $(B)/bench/%.o $(IMPORT_LIB) $(ENGINE_LIB)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)
