/* fuzz.h: the libFuzzer entry point every fuzz/fuzz_<target>.c defines, and helpers the
 * targets share. Built with -fsanitize=fuzzer by fuzz/run, or with fuzz/replay.c as a
 * plain program that replays a corpus (make all, tests/run-unit). */
#ifndef LK_FUZZ_H
#define LK_FUZZ_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
