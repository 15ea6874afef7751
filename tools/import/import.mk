# SPDX-License-Identifier: Apache-2.0
# tools/import -- vet-import: public list formats -> registry files. Its
# readers (libvetimport.a: ofac.h, nro.h, un.h) are shared with tools/eval
# and bench.
IMPORT_SRC := tools/import/country.c tools/import/country_tab.c tools/import/dates.c \
              tools/import/fmt_csl.c \
              tools/import/fmt_ftm.c tools/import/fmt_nro.c tools/import/fmt_ofac.c \
              tools/import/fmt_sema.c tools/import/fmt_un.c tools/import/imprun.c tools/import/nro.c \
              tools/import/ofac.c \
              tools/import/regw.c tools/import/sema.c tools/import/slug.c tools/import/un.c \
              tools/import/xdoc.c
IMPORT_OBJ := $(IMPORT_SRC:%.c=$(B)/%.o)
IMPORT_INC := $(ENGINE_INC) -Itools/import
IMPORT_LIB := $(B)/libvetimport.a

$(IMPORT_OBJ) $(B)/tools/import/main.o: INC := $(IMPORT_INC)

$(IMPORT_LIB): $(IMPORT_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/vet-import: $(B)/tools/import/main.o $(IMPORT_LIB) $(ENGINE_LIB)
	@mkdir -p $(BIN)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)
