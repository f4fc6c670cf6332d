# lab.mk - what every lab's Makefile shares; included by labs/NN-slug/Makefile.
#
#   make                  the starter (and the reference solution, when the course has it)
#   make NAME             NAME.c, your submission, with the course's flags
#   make grade SRC=FILE.c grade a submission (tools/grade)
include $(dir $(lastword $(MAKEFILE_LIST)))../common/build.mk

LAB := $(firstword $(subst -, ,$(notdir $(CURDIR))))
PROGRAMS := $(basename $(wildcard starter.c solution.c))
LDLIBS += -pthread

all: $(PROGRAMS)

grade:
	@../../tools/grade $(LAB) $(or $(SRC),$(error say which file: make grade SRC=FILE.c))

clean:
	rm -f $(basename $(wildcard *.c)) .build-flags

.PHONY: all grade clean
