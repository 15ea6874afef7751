# SPDX-License-Identifier: Apache-2.0
# tools/eval -- vet-eval: partner-identification quality (docs/EVAL.md).
# It reads the public lists with vet-import's readers (libvetimport.a).
EVAL_SRC := tools/eval/evdata.c tools/eval/evgen.c tools/eval/evpeople.c tools/eval/evreal.c
EVAL_OBJ := $(EVAL_SRC:%.c=$(B)/%.o)
EVAL_INC := $(IMPORT_INC) -Itools/eval

$(EVAL_OBJ) $(B)/tools/eval/main.o: INC := $(EVAL_INC)

$(BIN)/vet-eval: $(B)/tools/eval/main.o $(EVAL_OBJ) $(IMPORT_LIB) $(ENGINE_LIB)
	@mkdir -p $(BIN)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)
