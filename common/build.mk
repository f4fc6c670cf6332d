# build.mk - compiler flags shared by every lesson; included by lessons/*/Makefile.
#
#   make                      warnings are errors (-Werror)
#   make WERROR=              a newer compiler warns about something new: keep going
#   make CC=clang             any C11 compiler
#   make SANITIZE=address,undefined   AddressSanitizer and UBSan

COMMON_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
.DEFAULT_GOAL := all
COMMON_SRC := $(COMMON_DIR)course.c
COMMON_HDR := $(COMMON_DIR)course.h

WERROR   ?= -Werror
CFLAGS   ?= -std=c11 -g -O1 -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 $(WERROR)
CPPFLAGS += -I$(COMMON_DIR)
ifneq ($(strip $(SANITIZE)),)
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

# Rebuild when the compiler or the flags change (git's GIT-CFLAGS trick): the
# programs depend on .build-flags, which is rewritten only when its text changes.
BUILD_FLAGS := $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(LDLIBS)
$(shell printf '%s\n' '$(BUILD_FLAGS)' | cmp -s - .build-flags 2>/dev/null || \
        printf '%s\n' '$(BUILD_FLAGS)' > .build-flags)

# `make clean-ipc` works in a lesson directory too, as the error messages say.
clean-ipc:
	@$(COMMON_DIR)../tools/clean-ipc
.PHONY: clean-ipc

# make clean removes it; the next build writes it again.
.build-flags: ;

# writer and reader: each is one .c file plus the helper library (lesson 00,
# NO_LIBRARY := 1: the .c file alone). The first line cancels make's built-in rule.
%: %.c
ifeq ($(NO_LIBRARY),)
%: %.c $(COMMON_SRC) $(COMMON_HDR) .build-flags
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(COMMON_SRC) $(LDFLAGS) $(LDLIBS)
else
%: %.c .build-flags
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS) $(LDLIBS)
endif
