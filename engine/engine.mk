# SPDX-License-Identifier: Apache-2.0
# engine/ -- libvetengine: (ruleset, request) -> result. No ZeroMQ, no
# threads, no I/O on the request path. Exports only include/vet_engine.h
# (-fvisibility=hidden, VET_API); the static archive also carries lib/.
# One list per folder.
ENGINE_TOP_SRC   := engine/cover.c engine/engine.c engine/proto.c engine/proto_admin.c engine/registry.c \
                    engine/request.c engine/screen.c engine/taxonomy.c
ENGINE_LOAD_SRC  := engine/load/cfgread.c engine/load/load_policy.c engine/load/load_registry.c \
                    engine/load/load_taxonomy.c engine/load/load_vocab.c engine/load/load_words.c \
                    engine/load/load_merge.c engine/load/load_reviews.c engine/load/loader.c \
                    engine/load/rtest.c engine/load/ruleset.c
ENGINE_EXPR_SRC  := engine/expr/expr.c engine/expr/expr_eval.c engine/expr/expr_lex.c \
                    engine/expr/expr_parse.c
ENGINE_MATCH_SRC := engine/match/affil.c engine/match/build.c engine/match/fold.c \
                    engine/match/keyidx.c engine/match/match.c engine/match/norm.c \
                    engine/match/person.c engine/match/script.c \
                    engine/match/search.c engine/match/words.c
ENGINE_SRC := $(ENGINE_TOP_SRC) $(ENGINE_LOAD_SRC) $(ENGINE_EXPR_SRC) $(ENGINE_MATCH_SRC)
ENGINE_OBJ := $(ENGINE_SRC:%.c=$(B)/%.o)
ENGINE_INC := $(LIB_INC) -Iinclude -Iengine -Iengine/load -Iengine/expr -Iengine/match
ENGINE_LIB := $(B)/libvetengine.a
ENGINE_SO  := $(B)/libvetengine.so

$(ENGINE_OBJ): INC := $(ENGINE_INC)
$(ENGINE_OBJ): ALL_CFLAGS += -fvisibility=hidden

$(ENGINE_LIB): $(ENGINE_OBJ) $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(ENGINE_SO): $(ENGINE_OBJ) $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libvetengine.so.$(VERSION_MAJOR) -o $@ $(filter %.o,$^) \
	    $(ALL_LDFLAGS) $(LIBS)
