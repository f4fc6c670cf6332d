# Linux shared memory, step by step, in C.
#
#   make            build every lesson
#   make demo       run every lesson in order, narrated (make demo STEP=1: wait for Enter)
#   make test       prove every lesson does what its README says
#   make help       all targets

LESSONS := $(sort $(wildcard lessons/[0-9][0-9]-*))

all: $(LESSONS)

# One phony target per lesson, so -j and -k work and a failure stops the build.
$(LESSONS):
	$(MAKE) -C $@

demo:
	@$(MAKE) -s --no-print-directory all
	@tools/demo $(if $(STEP),--step)

test:
	@tests/run $(if $(filter-out 0,$(V)),-v)

stress: all
	@tests/stress

# The measured lesson's figures (lesson 12): about 25 s; never part of make test.
bench:
	@$(MAKE) -s --no-print-directory -C lessons/12-speed bench

# A lab submission, or a folder of them (a CSV): make grade LAB=01 SRC=shmcat.c
grade:
	@tools/grade $(if $(filter 0 no,$(VALGRIND)),--no-valgrind) \
	    $(or $(LAB),$(error say which lab: make grade LAB=01 SRC=FILE.c)) \
	    $(or $(SRC),$(error say what to grade: make grade LAB=01 SRC=FILE.c or SRC=DIR))

# The course for students: everything but the labs' reference solutions.
handout:
	@tools/handout $(or $(OUT),$(error say where: make handout OUT=DIR))

lint:
	shellcheck -x -s bash tests/lib.sh tests/expect.sh labs/grade-lib.sh \
	    $$(grep -rlE '^#!/usr/bin/env bash' tests tools .ci lessons labs)
	cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
	    --std=c11 --inline-suppr --suppress='unusedStructMember:labs/*/starter.c' -I common common/course.c $(foreach l,$(LESSONS),$(l)/*.c) \
	    $(wildcard labs/[0-9][0-9]-*/*.c)

slides-sync:
	@tools/slides-sync

slides-check-code:
	@tools/slides-sync --check

slides:
	@tools/slides build
	@tools/slides quickref

# QUICKREF.md as a two-page PDF to print (slides/build/QUICKREF.pdf).
quickref:
	@tools/slides quickref

slides-check: slides
	@tools/slides check

clean:
	for l in $(LESSONS) $(wildcard labs/[0-9][0-9]-*); do $(MAKE) -C $$l clean; done
	rm -rf slides/build

clean-ipc:
	@tools/clean-ipc

help:
	@echo 'make             build every lesson (CC=clang, SANITIZE=address,undefined, WERROR= work)'
	@echo 'make demo        run every lesson in order, with what to notice (STEP=1 waits for Enter)'
	@echo 'make test        run the test suite: a line per lesson, then "N passed, N failed, N skipped" (V=1: every check)'
	@echo 'make stress      the longer battery: faults, eight pairs at once, signals'
	@echo 'make bench       measure shared memory against pipes and sockets (lesson 12)'
	@echo 'make grade LAB=01 SRC=FILE.c   grade a lab submission (SRC=DIR: every .c in it, as a CSV)'
	@echo 'make handout OUT=DIR   write the course without the labs'"'"' solutions, for students'
	@echo 'make lint        shellcheck and cppcheck'
	@echo 'make slides      render the decks and the quick reference PDF to slides/build (needs Node.js: npm ci)'
	@echo 'make quickref    QUICKREF.md as a printable two-page PDF (slides/build/QUICKREF.pdf)'
	@echo 'make slides-sync copy the marked code regions of the lessons into the decks'
	@echo 'make slides-check  render and screenshot every slide in headless chromium'
	@echo 'make clean       remove built programs and rendered slides'
	@echo 'make clean-ipc   remove segments, files and processes this course left behind (yours only)'
	@echo 'make -C lessons/03-shmat run   run one lesson, as its README shows'

.PHONY: all $(LESSONS) demo test stress bench grade handout lint quickref slides slides-sync slides-check slides-check-code clean clean-ipc help
