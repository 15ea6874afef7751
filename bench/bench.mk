# bench/ -- make bench: micro-benchmarks and the daemon's load generator.
BENCH_BIN := $(B)/bench/bench_match $(B)/bench/bench_screen $(B)/bench/loadgen $(B)/bench/echo
BENCH_INC := $(IMPORT_INC)

$(BENCH_BIN:%=%.o): INC := $(BENCH_INC)

# The daemon benchmark's tools speak ZeroMQ only (loadgen takes vec_grow
# from libvetutil, no engine).
$(B)/bench/loadgen: $(B)/bench/loadgen.o $(LIB_A)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lzmq -lm

$(B)/bench/echo: $(B)/bench/echo.o
	$(CC) -o $@ $^ $(ALL_LDFLAGS) -lzmq

$(B)/bench/%: $(B)/bench/%.o $(IMPORT_LIB) $(ENGINE_LIB)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)
