# latchkey build. `make` builds build/latchkey; `make asan` the sanitizer build in
# build-asan/; `make test` runs every test on both; `make run` installs, builds, serves.

CC      ?= gcc
BUILD   ?= build
PKGS    := libmicrohttpd libsodium libcbor jansson libqrencode libcurl sqlite3 libcrypto libpq

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wimplicit-fallthrough
HARDEN  := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection -fPIE
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c17 -D_GNU_SOURCE $(WARN) -Isrc -I$(BUILD)/gen $(shell pkg-config --cflags $(PKGS))
LDFLAGS += -pie -Wl,-z,relro,-z,now
# libpq and libcurl are loaded on first use (store/pqlib.c, auth/curllib.c): not linked.
LDLIBS  += $(shell pkg-config --libs $(filter-out libpq libcurl,$(PKGS))) -ldl -lpthread -lm

ifeq ($(SANITIZE),1)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
else
CFLAGS  += $(HARDEN)
endif

LIB_SRC := $(filter-out src/cli/main.c,$(wildcard src/core/*.c src/core/webauthn/*.c \
           src/auth/*.c src/store/*.c src/http/*.c src/cli/*.c))
LIB_OBJ := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRC)) $(BUILD)/obj/gen/embedded.o
UNIT    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
EMBED   := $(sort $(wildcard web/*)) $(sort $(wildcard src/store/migrations/*.sql)) data/common-passwords.txt data/aaguids.json

.PHONY: all asan test run bench fuzz format format-check clean unit
all: $(BUILD)/latchkey $(UNIT)

$(BUILD)/latchkey: $(BUILD)/obj/cli/main.o $(BUILD)/liblatchkey.a
	@echo '  LD    $@'
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/liblatchkey.a: $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*/*.h src/*/*/*.h) src/http/routes.def | $(BUILD)/gen/embedded.h
	@mkdir -p $(dir $@)
	@echo '  CC    $<'
	@$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/gen/embedded.c $(BUILD)/gen/embedded.h &: scripts/embed $(EMBED)
	@mkdir -p $(BUILD)/gen
	@sh scripts/embed $(BUILD)/gen $(EMBED)

$(BUILD)/obj/gen/embedded.o: $(BUILD)/gen/embedded.c
	@mkdir -p $(dir $@)
	@$(CC) $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/check.h tests/unit/fixture.h $(BUILD)/liblatchkey.a
	@mkdir -p $(dir $@)
	@echo '  TEST  $@'
	@$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/liblatchkey.a $(LDLIBS)

asan:
	$(MAKE) BUILD=build-asan SANITIZE=1 all

unit: all
	sh tests/run-unit $(BUILD)

test:
	sh tests/run-all

run:
	sh scripts/install-deps
	$(MAKE) -j$$(nproc) all
	./$(BUILD)/latchkey serve

bench: all
	sh bench/run

fuzz:
	FUZZ_TARGETS="$(FUZZ_TARGETS)" sh fuzz/run $(or $(SECONDS_PER_TARGET),60)

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/unit/*.c' 'tests/unit/*.h' 'fuzz/*.c')

format-check:
	clang-format --dry-run -Werror $$(git ls-files 'src/*.c' 'src/*.h' 'tests/unit/*.c' 'tests/unit/*.h' 'fuzz/*.c')

clean:
	rm -rf build build-asan build-fuzz build-*

# Fuzz targets (fuzz/fuzz_<target>.c) as plain programs that replay fuzz/corpus/<target>/
# (fuzz/replay.c); tests/run-unit runs them. `make fuzz` builds the libFuzzer versions.
FUZZ_REPLAY := $(patsubst fuzz/fuzz_%.c,$(BUILD)/fuzz/%,$(wildcard fuzz/fuzz_*.c))
all: $(FUZZ_REPLAY)

$(BUILD)/fuzz/%: fuzz/fuzz_%.c fuzz/replay.c fuzz/fuzz.h $(BUILD)/liblatchkey.a
	@mkdir -p $(dir $@)
	@echo '  FUZZ  $@'
	@$(CC) $(CFLAGS) -Ifuzz $(LDFLAGS) -o $@ $< fuzz/replay.c $(BUILD)/liblatchkey.a $(LDLIBS)
