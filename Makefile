# magsync - one plain Makefile.
#
#   make            build/magsyncd, build/magsyncctl, build/libmagsync.so
#   make check      install missing Debian packages, run every test twice:
#                   plain (build/) and under ASan+UBSan (build-asan/)
#   make demo       the order loop against the fake Magento, explained
#   make bench      benchmarks (results on stdout)
#   make fuzz       libFuzzer targets for a bounded time (FUZZ_SECONDS)
#   make install    PREFIX=/usr/local DESTDIR=
#
# BUILD selects the output directory, SAN=1 the sanitizer build.

PREFIX    ?= /usr/local
DESTDIR   ?=
BUILD     ?= build
SAN       ?=
PYTHON    ?= /usr/bin/python3
PKGS       = libuv libcurl jansson libpq inih

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -Wformat=2 -Wno-format-nonliteral
CFLAGS ?= -O2 -g
ifeq ($(SAN),1)
CFLAGS  = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
          -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Ilib -Idaemon \
             $(PKG_CFLAGS) -MMD -MP
LIB_CFLAGS = $(ALL_CFLAGS) -fPIC -fvisibility=hidden

LIB_SRC    = $(wildcard lib/*.c)
LIB_OBJ    = $(LIB_SRC:%.c=$(BUILD)/%.o)
MAINS      = daemon/magsyncd.c daemon/magsyncctl.c
DAEMON_SRC = $(filter-out $(MAINS),$(wildcard daemon/*.c))
DAEMON_OBJ = $(DAEMON_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC   = $(wildcard tests/unit/test_*.c)
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC   = $(wildcard tests/tools/*.c)
TOOL_BIN   = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)
BINS       = $(BUILD)/magsyncd $(BUILD)/magsyncctl

.PHONY: all tests check demo bench fuzz install clean deps
all: $(BINS) $(BUILD)/libmagsync.so

tests: all $(UNIT_BIN) $(TOOL_BIN)

$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(BUILD)/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -c -o $@ $<

$(BUILD)/tests/tools/%.o: tests/tools/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# migrate.c embeds sql/*.sql with .incbin, which -MMD cannot see.
$(BUILD)/daemon/migrate.o: $(wildcard sql/*.sql)

$(BUILD)/libmagsync.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libmagsync.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libmagsync.so.0 $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/magsyncd: $(BUILD)/daemon/magsyncd.o $(DAEMON_OBJ) $(BUILD)/libmagsync.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/magsyncctl: $(BUILD)/daemon/magsyncctl.o $(DAEMON_OBJ) $(BUILD)/libmagsync.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(BUILD)/libmagsync.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/tests/%: $(BUILD)/tests/tools/%.o $(DAEMON_OBJ) $(BUILD)/libmagsync.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

deps:
	@tests/deps.sh

check: deps
	@tests/run.sh

demo: deps
	@tests/demo.sh

bench: deps
	@tests/bench/run.sh

fuzz: deps
	@tests/fuzz/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
	    $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/share/magsync/sql \
	    $(DESTDIR)$(PREFIX)/share/magsync/templates \
	    $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system \
	    $(DESTDIR)$(PREFIX)/lib/sysusers.d
	install -m 0755 $(BUILD)/magsyncd $(DESTDIR)$(PREFIX)/sbin/magsyncd
	install -m 0755 $(BUILD)/magsyncctl $(DESTDIR)$(PREFIX)/bin/magsyncctl
	install -m 0755 $(BUILD)/libmagsync.so $(DESTDIR)$(PREFIX)/lib/libmagsync.so.0
	ln -sf libmagsync.so.0 $(DESTDIR)$(PREFIX)/lib/libmagsync.so
	install -m 0644 sql/*.sql $(DESTDIR)$(PREFIX)/share/magsync/sql/
	install -m 0644 etc/magsync.ini.example $(DESTDIR)$(PREFIX)/share/magsync/
	install -m 0644 etc/templates/*.ini $(DESTDIR)$(PREFIX)/share/magsync/templates/
	install -m 0644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@BINDIR@|$(PREFIX)/bin|g' systemd/magsyncd.service > \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system/magsyncd.service
	install -m 0644 systemd/magsyncd.sysusers \
	    $(DESTDIR)$(PREFIX)/lib/sysusers.d/magsyncd.conf

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
