# SPDX-License-Identifier: Apache-2.0
# lib/ -- libvetutil.a: general utilities every layer shares (no ZeroMQ,
# no libconfig, no threads). Included by the top-level Makefile.
LIB_SRC := lib/afile.c lib/arena.c lib/csv.c lib/diag.c lib/isocode.c lib/sbuf.c lib/smap.c lib/strsim.c lib/vec.c lib/vocab.c
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
LIB_INC := -Ilib
LIB_A   := $(B)/libvetutil.a

$(LIB_OBJ): INC := $(LIB_INC)
$(LIB_OBJ): ALL_CFLAGS += -fvisibility=hidden

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
