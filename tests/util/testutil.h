/* testutil.h — helpers for tests: the shared model directory, files. */
#ifndef SCIOT_TESTUTIL_H
#define SCIOT_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* $SCIOT_MODELS if it names a directory with index.json, else NULL. */
const char *tu_models_dir(void);
/* Exit 77 (CTest: skipped) with a message when the models are absent. */
const char *tu_require_models(void);
/* Read dir/rel into a malloc'd buffer; aborts the test binary on failure. */
uint8_t *tu_read(const char *dir, const char *rel, size_t *len);
/* xorshift32 */
uint32_t tu_rand(uint32_t *state);

#endif
